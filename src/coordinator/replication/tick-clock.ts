// Raft's ticks by the monotonic clock, for lease reads. A timer that fires
// late (a busy event loop, a GC pause, a stopped process) skips ticks; a
// leader that missed them would measure its lease from fewer ticks than
// really passed and could answer a read after another leader was elected.
// So with lease reads the driver asks this clock before every step how many
// ticks are due, and delivers them first.

export class TickClock {
  /** performance.now() of the last tick delivered. */
  private at: number;

  /**
   * `most`: ticks delivered at once after a long stall. Past a lease and an
   * election timeout, more change nothing but send more heartbeats; the
   * skipped ones shift the tick count, which only differences of are used.
   */
  constructor(
    private readonly tickMs: number,
    private readonly most: number,
    now: number,
  ) {
    this.at = now;
  }

  /** How many ticks are due at `now` (each tickMs since the last); they count as delivered. */
  due(now: number): number {
    const n = Math.floor((now - this.at) / this.tickMs);
    if (n <= 0) return 0;
    this.at += n * this.tickMs;
    return Math.min(n, this.most);
  }
}
