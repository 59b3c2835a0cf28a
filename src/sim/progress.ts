// A one-line progress bar on stderr for soaks: done/total, seeds/s, failures, ETA.

export class Progress {
  private readonly began = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  update(done: number, failures: number): void {
    const now = Date.now();
    // Redraw at most 10 times a second (every 5 s when not a terminal).
    if (now - this.lastDraw < (this.tty ? 100 : 5000) && done < this.total) return;
    this.lastDraw = now;
    const secs = (now - this.began) / 1000;
    const rate = done / Math.max(secs, 0.001);
    const eta = (this.total - done) / Math.max(rate, 0.001);
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const line =
      `[${bar}] ${done}/${this.total} seeds  ${rate.toFixed(1)}/s  ` +
      `failures ${failures}  ETA ${formatSecs(eta)}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

function formatSecs(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60)}s` : `${Math.round(s)}s`;
}
