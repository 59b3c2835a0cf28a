// The unread bytes of a stream, for the incremental parsers. A chunk that
// arrives when nothing is pending is used as is (no copy); only leftovers are
// copied, into a buffer that grows by doubling, so feeding a large request in
// many small chunks costs linear, not quadratic, copying.
//
// Bytes before `start` may have been handed out as subarrays (parsed
// arguments), so they are never overwritten: growing allocates a new buffer.
// Callers must not modify a chunk after pushing it.

const EMPTY = Buffer.alloc(0);
const MIN_CAPACITY = 4096;

export class InputBuffer {
  buf: Buffer = EMPTY;
  /** First unread byte. */
  start = 0;
  /** End of the valid bytes. */
  end = 0;
  /** Whether `buf` is ours (bytes after `end` may be written). */
  private owned = false;

  get available(): number {
    return this.end - this.start;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      this.buf = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    this.moveTo(Math.max(MIN_CAPACITY, (this.available + chunk.length) * 2));
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Makes room for `n` unread bytes in total, so a large argument is copied once. */
  reserve(n: number): void {
    if (this.owned && this.buf.length - this.start >= n) return;
    this.moveTo(Math.max(MIN_CAPACITY, n));
  }

  /** Index of the next LF at or after `from`, or -1. */
  indexOfLF(from: number): number {
    if (from >= this.end) return -1;
    const i = this.buf.indexOf(0x0a, from);
    return i >= 0 && i < this.end ? i : -1;
  }

  private moveTo(capacity: number): void {
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    this.buf = next;
    this.owned = true;
  }
}
