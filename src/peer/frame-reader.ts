// Splits a byte stream into length-prefixed frames: a 4-byte big-endian
// length, then that many bytes (the kind byte and the body). A frame that
// arrives whole inside one chunk is handed out as a subarray (no copy); one
// split across chunks is copied once into a buffer of its exact size.

/** A length prefix the reader cannot accept; the connection must be closed. */
export class FrameError extends Error {
  override name = 'FrameError';
}

export const LENGTH_PREFIX_BYTES = 4;
const EMPTY = Buffer.alloc(0);

export class FrameReader {
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private readonly header = Buffer.alloc(LENGTH_PREFIX_BYTES);
  private headerLength = 0;
  private body: Buffer | null = null;
  private bodyLength = 0;

  /**
   * `maxFrameBytes` may be raised later (after the handshake); `limitName`
   * says in a refusal which limit it is and what would raise it.
   */
  constructor(
    public maxFrameBytes: number,
    public limitName = 'maxFrameBytes',
  ) {}

  /** Adds received bytes; call next() until it returns null before pushing again. */
  push(chunk: Buffer): void {
    // Leftovers only exist if the caller stopped early; keep them rather than lose bytes.
    this.chunk =
      this.pos < this.chunk.length ? Buffer.concat([this.chunk.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The next complete frame (kind byte first), or null when more bytes are needed. Throws FrameError. */
  next(): Buffer | null {
    const chunk = this.chunk;
    while (true) {
      const available = chunk.length - this.pos;
      if (this.body !== null) {
        if (available === 0) return null;
        const take = Math.min(this.body.length - this.bodyLength, available);
        chunk.copy(this.body, this.bodyLength, this.pos, this.pos + take);
        this.pos += take;
        this.bodyLength += take;
        if (this.bodyLength < this.body.length) return null;
        const frame = this.body;
        this.body = null;
        return frame;
      }
      let length: number;
      if (this.headerLength === 0 && available >= LENGTH_PREFIX_BYTES) {
        length = chunk.readUInt32BE(this.pos);
        this.pos += LENGTH_PREFIX_BYTES;
      } else {
        if (available === 0) return null;
        const take = Math.min(LENGTH_PREFIX_BYTES - this.headerLength, available);
        chunk.copy(this.header, this.headerLength, this.pos, this.pos + take);
        this.pos += take;
        this.headerLength += take;
        if (this.headerLength < LENGTH_PREFIX_BYTES) return null;
        this.headerLength = 0;
        length = this.header.readUInt32BE(0);
      }
      this.check(length);
      if (chunk.length - this.pos >= length) {
        const frame = chunk.subarray(this.pos, this.pos + length);
        this.pos += length;
        return frame;
      }
      this.body = Buffer.allocUnsafe(length);
      this.bodyLength = 0;
    }
  }

  /** Drops buffered bytes (a connection closed): a half-received frame is not kept alive with it. */
  clear(): void {
    this.chunk = EMPTY;
    this.pos = 0;
    this.body = null;
    this.headerLength = 0;
  }

  private check(length: number): void {
    if (length === 0) throw new FrameError('empty frame (length 0)');
    if (length > this.maxFrameBytes) {
      throw new FrameError(
        `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes (${this.limitName})`,
      );
    }
  }
}
