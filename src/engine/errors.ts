/** Bad input from a user (flag, spec, file): the message is one clear line, shown without a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** An output that could not be written (full disk, no permission): the message names the file. */
export class WriteError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'WriteError';
  }
}
