// Frames on the storage socket: length:u32 requestId:u32 op:u8 group:u32
// payload, big-endian, where `length` counts the bytes after itself. The
// decoder is incremental (input may be split or concatenated anywhere) and
// copies a frame at most once: frames that arrive whole are views into the
// chunk; a split frame is gathered and joined once when its last byte arrives.

import { HEADER_BYTES, LENGTH_PREFIX_BYTES } from './protocol.js';

export interface Frame {
  requestId: number;
  op: number;
  group: number;
  /** A view into the received bytes; valid as long as the caller keeps it. */
  payload: Buffer;
}

/** Framing is lost: the peer must be sent an error and disconnected. */
export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    readonly kind: 'too-large' | 'too-short',
    message: string,
  ) {
    super(message);
  }
}

export class FrameDecoder {
  private readonly lengthBytes = Buffer.alloc(LENGTH_PREFIX_BYTES);
  private lengthFilled = 0;
  /** Length of the frame being gathered, or -1 while reading a length prefix. */
  private need = -1;
  private pieces: Buffer[] = [];
  private gathered = 0;
  private failure: FrameError | null = null;

  constructor(readonly maxFrameBytes: number) {}

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.lengthFilled + this.gathered;
  }

  /**
   * Feeds received bytes; calls `onFrame` for every complete frame, in order.
   * Throws FrameError (and keeps throwing it) once framing is lost.
   */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    if (this.failure) throw this.failure;
    let off = 0;
    while (off < chunk.length) {
      if (this.need < 0) {
        if (this.lengthFilled === 0 && chunk.length - off >= LENGTH_PREFIX_BYTES) {
          this.need = this.checkLength(chunk.readUInt32BE(off));
          off += LENGTH_PREFIX_BYTES;
        } else {
          const n = Math.min(LENGTH_PREFIX_BYTES - this.lengthFilled, chunk.length - off);
          chunk.copy(this.lengthBytes, this.lengthFilled, off, off + n);
          this.lengthFilled += n;
          off += n;
          if (this.lengthFilled < LENGTH_PREFIX_BYTES) return;
          this.lengthFilled = 0;
          this.need = this.checkLength(this.lengthBytes.readUInt32BE(0));
        }
        continue;
      }
      const missing = this.need - this.gathered;
      const avail = chunk.length - off;
      if (this.gathered === 0 && avail >= this.need) {
        const body = chunk.subarray(off, off + this.need);
        off += this.need;
        this.need = -1;
        onFrame(parseBody(body));
      } else if (avail < missing) {
        this.pieces.push(chunk.subarray(off));
        this.gathered += avail;
        return;
      } else {
        this.pieces.push(chunk.subarray(off, off + missing));
        off += missing;
        const body = Buffer.concat(this.pieces, this.need);
        this.pieces = [];
        this.gathered = 0;
        this.need = -1;
        onFrame(parseBody(body));
      }
    }
  }

  private checkLength(length: number): number {
    if (length < HEADER_BYTES) {
      this.failure = new FrameError(
        'too-short',
        `frame length ${length} is shorter than the ${HEADER_BYTES}-byte header; framing lost`,
      );
    } else if (length > this.maxFrameBytes) {
      this.failure = new FrameError(
        'too-large',
        `frame of ${length} bytes exceeds the maximum frame size of ${this.maxFrameBytes} bytes`,
      );
    }
    if (this.failure) throw this.failure;
    return length;
  }
}

function parseBody(body: Buffer): Frame {
  return {
    requestId: body.readUInt32BE(0),
    op: body[4] as number,
    group: body.readUInt32BE(5),
    payload: body.subarray(HEADER_BYTES),
  };
}

const TWO_32 = 0x100000000;

/** Writes big-endian fields into one growing buffer (payloads, stored records). */
export class ByteWriter {
  protected buf: Buffer;
  protected pos: number;

  constructor(sizeHint = 64, start = 0) {
    this.buf = Buffer.allocUnsafe(start + sizeHint);
    this.pos = start;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written (a view of the internal buffer). */
  bytesWritten(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  u8(n: number): this {
    this.room(1);
    this.buf[this.pos++] = n;
    return this;
  }
  u16(n: number): this {
    this.room(2);
    this.buf.writeUInt16BE(n, this.pos);
    this.pos += 2;
    return this;
  }
  u32(n: number): this {
    this.room(4);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
    return this;
  }
  /** A non-negative safe integer as hi:u32 lo:u32. */
  u64(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`expected a non-negative safe integer, got ${n}`);
    }
    this.room(8);
    this.buf.writeUInt32BE(Math.floor(n / TWO_32), this.pos);
    this.buf.writeUInt32BE(n % TWO_32, this.pos + 4);
    this.pos += 8;
    return this;
  }
  /** Raw bytes, no length: only as the last field of a payload. */
  raw(b: Uint8Array): this {
    this.room(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }
  /** len:u32 then the bytes. */
  bytes(b: Uint8Array): this {
    return this.u32(b.byteLength).raw(b);
  }
  /** present:u8, then len:u32 bytes when present. */
  nullableBytes(b: Uint8Array | null): this {
    return b === null ? this.u8(0) : this.u8(1).bytes(b);
  }
  /**
   * Room for `n` bytes that the caller writes into `target` at the returned
   * offset, before any other write (an encoder of its own writes straight
   * into the frame, without a buffer of its own to copy from).
   */
  reserve(n: number): number {
    this.room(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  /** The buffer being written; replaced when it grows, so take it after `reserve`. */
  get target(): Buffer {
    return this.buf;
  }

  protected room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/**
 * Builds one frame: the header is reserved up front and the length filled in
 * by finish(), so sending needs no further copy.
 */
export class FrameWriter extends ByteWriter {
  constructor(requestId: number, op: number, group: number, payloadHint = 64) {
    super(payloadHint, LENGTH_PREFIX_BYTES + HEADER_BYTES);
    this.buf.writeUInt32BE(requestId >>> 0, 4);
    this.buf[8] = op;
    this.buf.writeUInt32BE(group >>> 0, 9);
  }

  finish(): Buffer {
    this.buf.writeUInt32BE(this.pos - LENGTH_PREFIX_BYTES, 0);
    return this.buf.subarray(0, this.pos);
  }
}

/** Thrown by PayloadReader: the payload does not match its op's layout. */
export class PayloadError extends Error {
  override name = 'PayloadError';
}

/** Reads a payload's fields in order, checking every bound. */
export class PayloadReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Where the next field starts in the payload. */
  get offset(): number {
    return this.pos;
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++] as number;
  }
  u16(): number {
    this.need(2, 'u16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8, 'u64');
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    const v = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(v)) throw new PayloadError(`integer ${v} is beyond 2^53`);
    return v;
  }
  /** len:u32 then that many bytes, as a view. */
  bytes(): Buffer {
    const n = this.u32();
    this.need(n, null);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** len:u32 then that many bytes, skipped: returns where they start in the payload (no view made). */
  skipBytes(): number {
    const n = this.u32();
    this.need(n, null);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  nullableBytes(): Buffer | null {
    const present = this.u8();
    if (present > 1) throw new PayloadError(`presence flag must be 0 or 1, got ${present}`);
    return present === 1 ? this.bytes() : null;
  }
  /** Everything left, as a view. */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }
  /** Fails if anything is left: a payload must be exactly its layout. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new PayloadError(`${this.buf.length - this.pos} unexpected bytes after the payload`);
    }
  }

  /** `what` null: an n-byte field (named only when it is missing, not made on every read). */
  private need(n: number, what: string | null): void {
    if (this.buf.length - this.pos < n) {
      throw new PayloadError(
        `payload truncated: needed ${what ?? `${n}-byte field`} at offset ${this.pos}, only ${this.buf.length - this.pos} bytes left`,
      );
    }
  }
}
