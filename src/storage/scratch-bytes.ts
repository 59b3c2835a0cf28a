// Reused buffers of exact lengths, for bytes that are read or copied at once
// and never kept: a staged write copies its key and value into its table, a
// lookup reads its key and lets go. Making such a key or record anew for
// every applied put was one pool slice and one Buffer object each (three per
// put: the data key, the session key and the session record).
//
// A buffer is reused by the next request for the same length from the same
// ScratchBytes, so two buffers alive at the same time (a key and its value)
// must come from two instances.

/** Lengths above this are allocated each time (rare: large values, long keys). */
const MAX_SCRATCH_BYTES = 1024;

export class ScratchBytes {
  private readonly byLength: Buffer[] = [];

  /** A buffer of `n` bytes, valid until this instance is asked for `n` bytes again. */
  take(n: number): Buffer {
    if (n > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(n);
    return (this.byLength[n] ??= Buffer.allocUnsafeSlow(n));
  }
}
