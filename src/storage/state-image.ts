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

/**
 * Parses an image from consecutive pieces, checking every item; throws
 * PayloadError at the first flaw. The applied index is known once the first
 * nine bytes have arrived.
 */
export class ImageParser {
  appliedIndex = -1;
  pairs = 0;
  done = false;
  /** Bytes of an item (or the header) split across pieces. */
  private carry: Buffer = Buffer.alloc(0);

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
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (this.carry.length > 0) buf = Buffer.concat([this.carry, buf]);
    let off = 0;
    if (this.appliedIndex < 0) {
      if (buf.length < IMAGE_HEADER_BYTES) {
        this.carry = Buffer.from(buf);
        return;
      }
      const version = buf[0] as number;
      if (version !== IMAGE_VERSION) {
        throw new PayloadError(
          `state image version ${version} is not supported (expected ${IMAGE_VERSION})`,
        );
      }
      const index = buf.readUInt32BE(1) * TWO_32 + buf.readUInt32BE(5);
      if (!Number.isSafeInteger(index)) throw new PayloadError('state image: bad applied index');
      this.appliedIndex = index;
      off = IMAGE_HEADER_BYTES;
    }
    while (off < buf.length) {
      if (this.done) throw new PayloadError('state image: bytes after its end mark');
      const used = this.item(buf, off);
      if (used === 0) break;
      off += used;
    }
    // Copy the unfinished item: the caller may reuse its buffer.
    this.carry = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
  }

  /** Throws unless the whole image (through its end mark) has arrived. */
  end(): void {
    if (!this.done || this.carry.length > 0) {
      throw new PayloadError('state image is truncated: it ends before its end mark');
    }
  }

  /** Parses one item at `off`; returns the bytes it used, or 0 when it is incomplete. */
  private item(buf: Buffer, off: number): number {
    const tag = buf[off] as number;
    if (tag === ITEM_END) {
      this.done = true;
      return 1;
    }
    if (tag !== ITEM_PAIR && tag !== ITEM_SESSION) {
      throw new PayloadError(`state image: unknown item tag ${tag}`);
    }
    if (buf.length - off < 5) return 0;
    const aLen = buf.readUInt32BE(off + 1);
    if (aLen > STORAGE_MAX_KEY_BYTES) {
      throw new PayloadError(
        `state image: an item's key of ${aLen} bytes exceeds the maximum of ${STORAGE_MAX_KEY_BYTES}`,
      );
    }
    const bAt = off + 5 + aLen;
    if (buf.length < bAt + 4) return 0;
    const bLen = buf.readUInt32BE(bAt);
    if (bLen > this.maxValueBytes) {
      throw new PayloadError(
        `state image: an item's value of ${bLen} bytes exceeds the maximum of ${this.maxValueBytes}`,
      );
    }
    const end = bAt + 4 + bLen;
    if (buf.length < end) return 0;
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
