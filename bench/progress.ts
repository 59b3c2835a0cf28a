// A one-line progress bar on stderr, redrawn in place. Only on a terminal:
// redirected to a file it would be noise.

export class ProgressBar {
  private readonly enabled = process.stderr.isTTY === true;
  private timer: NodeJS.Timeout | undefined;

  /** Redraws every 200 ms with the text `status()` returns and the fraction `done()`. */
  start(label: string, done: () => number, status: () => string): void {
    if (!this.enabled) return;
    const draw = (): void => {
      const f = Math.max(0, Math.min(1, done()));
      const width = 30;
      const filled = Math.round(f * width);
      const bar = '='.repeat(filled) + ' '.repeat(width - filled);
      process.stderr.write(`\r\x1b[K${label} [${bar}] ${Math.round(f * 100)}% ${status()}`);
    };
    draw();
    this.timer = setInterval(draw, 200);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
