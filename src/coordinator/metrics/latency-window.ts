// Operations per second and latency percentiles over the last few seconds,
// for the dashboard. One slot per second of wall time, each a log-linear
// histogram (8 buckets per power of two of microseconds: a percentile is
// within about 6% of the true value). Recording is two array increments and
// no allocation; reading merges the slots of the window.

/** Seconds the window covers: the last WINDOW_SECONDS complete seconds. */
const WINDOW_SECONDS = 5;
/** One more slot than the window: the second being filled. */
const SLOTS = WINDOW_SECONDS + 1;
const SUB_BITS = 3;
const SUB = 1 << SUB_BITS;
/** Buckets up to 2^31 µs (about 36 minutes); longer latencies land in the last one. */
const BUCKETS = (31 - SUB_BITS + 1) * SUB;
const MAX_US = 2 ** 31 - 1;

export interface RecentLoad {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Commands recorded since the node started (not only in the window). */
  commandsTotal: number;
}

/** Bucket of a latency in whole microseconds: exact below 8 µs, then 8 per power of two. */
function bucketOf(us: number): number {
  if (us < SUB) return us < 0 ? 0 : us;
  const v = us > MAX_US ? MAX_US : us;
  const e = 31 - Math.clz32(v);
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Middle of a bucket's range, in microseconds. */
function bucketMidUs(b: number): number {
  if (b < SUB) return b;
  const e = (b >>> SUB_BITS) + SUB_BITS - 1;
  const width = 1 << (e - SUB_BITS);
  return (SUB + (b & (SUB - 1))) * width + width / 2;
}

export class LatencyWindow {
  private readonly counts: Uint32Array[] = [];
  /** Which second (of `now()`) each slot holds; -1: empty. */
  private readonly seconds = new Float64Array(SLOTS).fill(-1);
  private current = 0;
  private total = 0;
  private readonly startedMs: number;

  /** `now` gives milliseconds on a monotonic clock (performance.now). */
  constructor(private readonly now: () => number = () => performance.now()) {
    for (let i = 0; i < SLOTS; i++) this.counts.push(new Uint32Array(BUCKETS));
    this.startedMs = now();
  }

  /** Records one operation that took `ms` milliseconds and ended at `endMs` (same clock as `now`). */
  record(ms: number, endMs: number): void {
    const second = Math.floor(endMs / 1000);
    if (second !== this.seconds[this.current]) this.rotate(second);
    (this.counts[this.current] as Uint32Array)[bucketOf(Math.round(ms * 1000))]!++;
    this.total++;
  }

  private rotate(second: number): void {
    // Slots are in order of time; a newer second takes the oldest slot.
    this.current = (this.current + 1) % SLOTS;
    (this.counts[this.current] as Uint32Array).fill(0);
    this.seconds[this.current] = second;
  }

  /** The last WINDOW_SECONDS complete seconds (fewer just after start). */
  recent(): RecentLoad {
    const nowMs = this.now();
    const thisSecond = Math.floor(nowMs / 1000);
    const merged = new Float64Array(BUCKETS);
    let n = 0;
    for (let s = 0; s < SLOTS; s++) {
      const sec = this.seconds[s] as number;
      if (sec < thisSecond - WINDOW_SECONDS || sec >= thisSecond) continue;
      const c = this.counts[s] as Uint32Array;
      for (let b = 0; b < BUCKETS; b++) {
        const k = c[b] as number;
        if (k !== 0) {
          merged[b]! += k;
          n += k;
        }
      }
    }
    // Just after start, the window is the complete seconds so far (at least one).
    const covered = Math.max(
      1,
      Math.min(WINDOW_SECONDS, thisSecond - Math.floor(this.startedMs / 1000)),
    );
    return {
      opsPerSec: n / covered,
      p50Ms: quantileMs(merged, n, 0.5),
      p99Ms: quantileMs(merged, n, 0.99),
      p999Ms: quantileMs(merged, n, 0.999),
      commandsTotal: this.total,
    };
  }
}

function quantileMs(merged: Float64Array, n: number, q: number): number {
  if (n === 0) return 0;
  const rank = Math.ceil(q * n);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += merged[b] as number;
    if (seen >= rank) return bucketMidUs(b) / 1000;
  }
  return bucketMidUs(BUCKETS - 1) / 1000;
}
