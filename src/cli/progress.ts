/** A one-line progress bar redrawn on a TTY stream (stderr). */
export class ProgressBar {
  private last = 0;
  constructor(private stream: NodeJS.WriteStream, private total: number, private width = 24) {}

  update(done: number, text: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 100 && done < this.total) return;
    this.last = now;
    const filled = Math.round((this.width * done) / Math.max(1, this.total));
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    const line = `${bar} ${done}/${this.total} ${text}`;
    const cols = this.stream.columns || 100;
    this.stream.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
  }

  /** Clears the bar so ordinary lines can be printed. */
  clear(): void {
    this.stream.write('\r\x1b[K');
  }
}
