/** A bad data source or data file: the message names the source/file and the fault. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
