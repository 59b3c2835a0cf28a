/** Thrown for any malformed input to the raft codec: truncated, out of range, unknown tags. */
export class RaftCodecError extends Error {
  override name = 'RaftCodecError';
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 2 ** 32;
/** Unused bytes `finish` leaves in a view rather than copy the rest out (a size hint's margin). */
const FINISH_SLACK_BYTES = 128;

/**
 * `n` bytes, uninitialized (every writer fills what it hands out): for small
 * sizes a slice of Node's shared pool slab rather than an allocation of its own.
 */
function pooledBytes(n: number): Uint8Array {
  const b = Buffer.allocUnsafe(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/**
 * Appends big-endian fields to a buffer that grows by doubling (amortized
 * O(1), no concat). Sized right (the encoders pass a size hint), it hands its
 * buffer back without a copy: entries are encoded once per put on every
 * replica, and each encoding used to cost two ArrayBuffers of its own
 * (malloc'd, then swept by the GC).
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial: number) {
    this.buf = pooledBytes(initial);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = pooledBytes(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  /** A non-negative safe integer as 8 bytes (indexes and terms). */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RaftCodecError(`cannot encode ${v}: not a non-negative safe integer`);
    }
    this.u32(Math.floor(v / TWO_32));
    this.u32(v >>> 0);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  string(v: string): void {
    this.bytes(utf8.encode(v));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written: a view when little of the buffer is unused, else a copy that fits. */
  finish(): Uint8Array {
    const used = this.buf.subarray(0, this.pos);
    return this.buf.length - this.pos <= FINISH_SLACK_BYTES ? used : used.slice();
  }
}

/**
 * Reads what ByteWriter wrote; every read is bounds-checked. The input is
 * copied once up front, so byte fields can be views into that copy: they
 * never alias the caller's (possibly reused) buffer, at one allocation.
 */
export class ByteReader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(input: Uint8Array) {
    this.buf = new Uint8Array(input); // a copy, also for a Buffer (whose slice() is a view)
    this.view = new DataView(this.buf.buffer);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new RaftCodecError(
        `truncated input: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  uint(what: string): number {
    const hi = this.u32(what);
    const lo = this.u32(what);
    const v = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(v)) throw new RaftCodecError(`${what} out of range`);
    return v;
  }

  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new RaftCodecError(`${what}: invalid boolean ${v}`);
    return v === 1;
  }

  bytes(what: string): Uint8Array {
    const n = this.u32(what);
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(what: string): string {
    const n = this.u32(what);
    this.need(n, what);
    try {
      return utf8Strict.decode(this.buf.subarray(this.pos, this.pos + n));
    } catch {
      throw new RaftCodecError(`${what}: invalid UTF-8`);
    } finally {
      this.pos += n;
    }
  }

  /** A count of items each at least `minSize` bytes: refuse counts the input cannot hold. */
  count(what: string, minSize: number): number {
    const n = this.u32(what);
    if (n * minSize > this.remaining) {
      throw new RaftCodecError(`${what}: count ${n} exceeds the ${this.remaining} bytes left`);
    }
    return n;
  }

  end(what: string): void {
    if (this.remaining !== 0) {
      throw new RaftCodecError(`${what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}
