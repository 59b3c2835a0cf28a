// One timer for many deadlines: armed for the earliest, and on firing asks its
// owner to fail what is due and name the next deadline. A timer per request
// cost every put and GET a Timeout object, two timer-list updates and their
// garbage, for timeouts that almost never fire.

export class DeadlineTimer {
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (Infinity: not armed). */
  private at = Infinity;

  /** `expire(now)` fails everything due at `now` and returns the next deadline (Infinity: none). */
  constructor(private readonly expire: (now: number) => number) {}

  /** Makes sure the timer fires by `deadline` (a Date.now() time). */
  arm(deadline: number): void {
    if (deadline >= this.at) return;
    this.disarm();
    this.at = deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(0, deadline - Date.now()));
  }

  /** Nothing is waiting any more: no timer keeps the process alive. */
  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.at = Infinity;
  }

  private fire(): void {
    this.timer = null;
    this.at = Infinity;
    const next = this.expire(Date.now());
    if (next !== Infinity) this.arm(next);
  }
}
