// The unread bytes of a stream, for the incremental parsers. A chunk that
// arrives when nothing is pending is used as is (no copy); only leftovers are
// copied, into a buffer that grows by doubling, so feeding a large request in
// many small chunks costs linear, not quadratic, copying.
//
// Bytes before `start` may have been handed out as subarrays (parsed
// arguments), so they are never overwritten: growing allocates a new buffer.
// Callers must not modify a chunk after pushing it.

import { RespProtocolError } from './protocol-error.js';

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
  /** Unread bytes already searched for a LF, so a long line arriving in pieces is scanned once. */
  private scanned = 0;

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

  /**
   * Makes room for `n` unread bytes in total, so a large argument arriving
   * in pieces is copied once. Nothing to do when they are all here already:
   * the unread bytes may be more than `n` (what follows the argument), and
   * moving them into `n` bytes would cut them off.
   */
  reserve(n: number): void {
    if (this.available >= n) return;
    if (this.owned && this.buf.length - this.start >= n) return;
    this.moveTo(Math.max(MIN_CAPACITY, n));
  }

  /**
   * Index in `buf` of the LF ending the line that starts at `start`, or -1
   * when it has not arrived yet (the caller checks `available` against its
   * line limit). Nothing is consumed.
   */
  lineEnd(): number {
    const from = this.start + this.scanned;
    const i = from < this.end ? this.buf.indexOf(0x0a, from) : -1;
    if (i < 0 || i >= this.end) {
      this.scanned = this.available;
      return -1;
    }
    this.scanned = 0;
    return i;
  }

  /**
   * Consumes `len` bytes and the CR LF after them and returns the bytes (a
   * view, not a copy), or null when they have not all arrived. Throws
   * `missingCRLF` when the bytes after them are not CR LF.
   */
  takeTerminated(len: number, missingCRLF: string): Buffer | null {
    if (this.available < len + 2) return null;
    const at = this.start;
    if (this.buf[at + len] !== 0x0d || this.buf[at + len + 1] !== 0x0a) {
      throw new RespProtocolError(missingCRLF);
    }
    this.start = at + len + 2;
    return this.buf.subarray(at, at + len);
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
