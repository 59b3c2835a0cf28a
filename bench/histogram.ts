// A latency histogram in the manner of HdrHistogram: buckets that are exact
// below 128 µs and then 64 per power of two, so a reported value is within
// 1% of the true one, in constant memory, however many samples.

const LINEAR = 128; // values below this have a bucket each
const PER_OCTAVE = 64;
const MAX_SHIFT = 24; // 2^31 µs (about 35 minutes) is the largest value kept apart
const BUCKETS = LINEAR + MAX_SHIFT * PER_OCTAVE;

function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  const v = Math.min(us, 2 ** 31 - 1);
  const shift = 31 - Math.clz32(v) - 6; // leaves the top 7 bits: 64..127
  return LINEAR + (shift - 1) * PER_OCTAVE + ((v >>> shift) - PER_OCTAVE);
}

/** The middle of a bucket's range, in µs. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const k = bucket - LINEAR;
  const shift = Math.floor(k / PER_OCTAVE) + 1;
  const top = (k % PER_OCTAVE) + PER_OCTAVE;
  return top * 2 ** shift + (2 ** shift - 1) / 2;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records one latency, in milliseconds. */
  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.counts[bucketOf(us)]! += 1;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The latency in ms below which `p` percent of the samples fall (0 when empty). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p * this.count) / 100));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(valueOf(b), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  get maxMs(): number {
    return this.maxUs / 1000;
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count / 1000;
  }
}
