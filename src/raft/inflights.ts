/**
 * The bounded window of append messages sent to one follower and not yet
 * acknowledged: at most `maxCount` messages and `maxBytes` payload bytes.
 * A ring buffer of (last index, bytes) so the hot path allocates nothing.
 */
export class Inflights {
  private readonly indexes: number[];
  private readonly sizes: number[];
  private start = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {
    this.indexes = new Array<number>(maxCount).fill(0);
    this.sizes = new Array<number>(maxCount).fill(0);
  }

  /** Records a message whose last entry is `index` carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    if (this.count >= this.maxCount) throw new Error('inflights: add to a full window');
    const slot = (this.start + this.count) % this.maxCount;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is ≤ `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0) {
      const slot = this.start;
      if ((this.indexes[slot] ?? 0) > index) break;
      this.bytes -= this.sizes[slot] ?? 0;
      this.start = (slot + 1) % this.maxCount;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  /** Frees the oldest message: a heartbeat answer shows the follower is alive even if acks were lost. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.indexes[this.start] ?? 0);
  }

  /** Full when either the message count or the byte budget is used up. */
  full(): boolean {
    return this.count >= this.maxCount || this.bytes >= this.maxBytes;
  }

  get size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
