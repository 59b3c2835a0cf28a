// A group's state-machine image: every key/value pair and client session of
// the group with the applied index they reflect. It is what a Raft snapshot
// carries to a follower that is too far behind, and what a backup holds; the
// engine exports and installs it, and to everyone else it is opaque bytes.
//
//   image   := version:u8 appliedIndex:u64 item* 0:u8
//   item    := 1:u8 bytes(key) bytes(value)          a key/value pair
//            | 2:u8 bytes(clientId) bytes(record)    a session (lmdb-sessions.ts record layout)
//   bytes   := len:u32 byte*
//
// An image travels in chunks (export and install stream it): the chunks are
// consecutive pieces of those bytes, cut anywhere, so the parser below takes
// input piece by piece and never needs the whole image in memory.

import { STORAGE_MAX_KEY_BYTES } from './api.js';
import { PayloadError } from './frame-codec.js';
import { decodeSessionRecord } from './lmdb-sessions.js';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol.js';

export const IMAGE_VERSION = 1;
export const ITEM_END = 0;
export const ITEM_PAIR = 1;
export const ITEM_SESSION = 2;
/** version:u8 appliedIndex:u64 */
export const IMAGE_HEADER_BYTES = 9;

export interface ImageItemSink {
  pair(key: Buffer, value: Buffer): void;
  /** clientId, the stored record, and its lastIndex (for the session order). */
  session(clientId: string, record: Buffer, lastIndex: number): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 0x100000000;
const EMPTY = Buffer.alloc(0);

/**
 * Parses an image from consecutive pieces, checking every item; throws
 * PayloadError at the first flaw. The applied index is known once the first
 * nine bytes have arrived.
 */
export class ImageParser {
  appliedIndex = -1;
  pairs = 0;
  done = false;
  /**
   * The unit (header or item) split across pieces: its first carryLen bytes.
   * It grows only to what the unit needs, doubling, so a value spread over
   * many pieces is copied about twice, not once per piece. A finished unit's
   * carry is dropped, not reused: the sink may keep what it was handed.
   */
  private carry = EMPTY;
  private carryLen = 0;

  /**
   * `maxValueBytes` bounds a value (or session record) as keys are bounded by
   * STORAGE_MAX_KEY_BYTES: a length beyond them is refused when it is read, so
   * a declared length that never arrives cannot make the parser buffer without
   * end. The default is the engine's default frame size, which no applied
   * value can exceed.
   */
  constructor(
    private readonly sink: ImageItemSink | null = null,
    private readonly maxValueBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {}

  push(piece: Uint8Array): void {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let off = 0;
    // Finish the carried unit with just the bytes it still needs from this piece.
    while (this.carryLen > 0) {
      const r = this.unit(this.carry.subarray(0, this.carryLen), 0);
      if (r > 0) {
        this.carry = EMPTY;
        this.carryLen = 0;
        break;
      }
      if (off === buf.length) return;
      const take = Math.min(-r - this.carryLen, buf.length - off);
      this.reserve(-r, this.carryLen + take);
      buf.copy(this.carry, this.carryLen, off, off + take);
      this.carryLen += take;
      off += take;
    }
    while (off < buf.length) {
      const r = this.unit(buf, off);
      if (r < 0) {
        // Copy the unfinished unit: the caller may reuse its buffer.
        this.reserve(-r, buf.length - off);
        buf.copy(this.carry, 0, off);
        this.carryLen = buf.length - off;
        return;
      }
      off += r;
    }
  }

  /** Throws unless the whole image (through its end mark) has arrived. */
  end(): void {
    if (!this.done || this.carryLen > 0) {
      throw new PayloadError('state image is truncated: it ends before its end mark');
    }
  }

  /** Room in carry for `len` of a unit of `need` bytes, keeping carryLen bytes. */
  private reserve(need: number, len: number): void {
    if (this.carry.length >= len) return;
    const grown = Buffer.allocUnsafe(Math.min(need, Math.max(len, 2 * this.carry.length)));
    this.carry.copy(grown, 0, 0, this.carryLen);
    this.carry = grown;
  }

  /**
   * Parses the header (until it is known) or one item at `off`; returns the
   * bytes it used, or minus the bytes (from `off`) it needs when incomplete,
   * as far as the lengths read so far tell.
   */
  private unit(buf: Buffer, off: number): number {
    if (this.appliedIndex >= 0) {
      if (this.done) throw new PayloadError('state image: bytes after its end mark');
      return this.item(buf, off);
    }
    if (buf.length - off < IMAGE_HEADER_BYTES) return -IMAGE_HEADER_BYTES;
    const version = buf[off] as number;
    if (version !== IMAGE_VERSION) {
      throw new PayloadError(
        `state image version ${version} is not supported (expected ${IMAGE_VERSION})`,
      );
    }
    const index = buf.readUInt32BE(off + 1) * TWO_32 + buf.readUInt32BE(off + 5);
    if (!Number.isSafeInteger(index)) throw new PayloadError('state image: bad applied index');
    this.appliedIndex = index;
    return IMAGE_HEADER_BYTES;
  }

  /** Parses one item at `off`; returns the bytes it used, or minus the bytes it needs. */
  private item(buf: Buffer, off: number): number {
    const tag = buf[off] as number;
    if (tag === ITEM_END) {
      this.done = true;
      return 1;
    }
    if (tag !== ITEM_PAIR && tag !== ITEM_SESSION) {
      throw new PayloadError(`state image: unknown item tag ${tag}`);
    }
    if (buf.length - off < 5) return -5;
    const aLen = buf.readUInt32BE(off + 1);
    if (aLen > STORAGE_MAX_KEY_BYTES) {
      throw new PayloadError(
        `state image: an item's key of ${aLen} bytes exceeds the maximum of ${STORAGE_MAX_KEY_BYTES}`,
      );
    }
    const bAt = off + 5 + aLen;
    if (buf.length < bAt + 4) return off - (bAt + 4);
    const bLen = buf.readUInt32BE(bAt);
    if (bLen > this.maxValueBytes) {
      throw new PayloadError(
        `state image: an item's value of ${bLen} bytes exceeds the maximum of ${this.maxValueBytes}`,
      );
    }
    const end = bAt + 4 + bLen;
    if (buf.length < end) return off - end;
    const a = buf.subarray(off + 5, bAt);
    const b = buf.subarray(bAt + 4, end);
    if (tag === ITEM_PAIR) {
      this.pairs++;
      this.sink?.pair(a, b);
    } else {
      let clientId: string;
      try {
        clientId = utf8.decode(a);
      } catch {
        throw new PayloadError('state image: a session clientId is not UTF-8');
      }
      let lastIndex: number;
      try {
        lastIndex = decodeSessionRecord(b).lastIndex;
      } catch (err) {
        throw new PayloadError(`state image: bad session record: ${(err as Error).message}`);
      }
      this.sink?.session(clientId, b, lastIndex);
    }
    return end - off;
  }
}

/** The image's first bytes: version and applied index. */
export function imageHeader(appliedIndex: number): Buffer {
  const b = Buffer.allocUnsafe(IMAGE_HEADER_BYTES);
  b[0] = IMAGE_VERSION;
  b.writeUInt32BE(Math.floor(appliedIndex / TWO_32), 1);
  b.writeUInt32BE(appliedIndex % TWO_32, 5);
  return b;
}
