// A group's state-machine image: every key/value pair and client session of
// the group with the applied index they reflect. It is what a Raft snapshot
// carries to a follower that is too far behind; the engine exports and
// installs it, and to everyone else it is opaque bytes.
//
//   image   := version:u8 appliedIndex:u64 item* 0:u8
//   item    := 1:u8 bytes(key) bytes(value)          a key/value pair
//            | 2:u8 bytes(clientId) bytes(record)    a session (lmdb-sessions.ts record layout)
//   bytes   := len:u32 byte*

import { PayloadError, PayloadReader } from './frame-codec.js';
import { decodeSessionRecord } from './lmdb-sessions.js';

export const IMAGE_VERSION = 1;
export const ITEM_END = 0;
export const ITEM_PAIR = 1;
export const ITEM_SESSION = 2;

export interface DecodedImage {
  appliedIndex: number;
  pairs: Array<[Buffer, Buffer]>;
  /** clientId, stored record, lastIndex (for the session order). */
  sessions: Array<[string, Buffer, number]>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses and checks a whole image before anything is changed; throws PayloadError. */
export function decodeImage(image: Buffer): DecodedImage {
  const r = new PayloadReader(image);
  const version = r.u8();
  if (version !== IMAGE_VERSION) {
    throw new PayloadError(
      `state image version ${version} is not supported (expected ${IMAGE_VERSION})`,
    );
  }
  const out: DecodedImage = { appliedIndex: r.u64(), pairs: [], sessions: [] };
  for (;;) {
    const tag = r.u8();
    if (tag === ITEM_END) break;
    if (tag === ITEM_PAIR) {
      out.pairs.push([r.bytes(), r.bytes()]);
    } else if (tag === ITEM_SESSION) {
      let clientId: string;
      try {
        clientId = utf8.decode(r.bytes());
      } catch {
        throw new PayloadError('state image: a session clientId is not UTF-8');
      }
      const record = r.bytes();
      let lastIndex: number;
      try {
        lastIndex = decodeSessionRecord(record).lastIndex;
      } catch (err) {
        throw new PayloadError(`state image: bad session record: ${(err as Error).message}`);
      }
      out.sessions.push([clientId, record, lastIndex]);
    } else {
      throw new PayloadError(`state image: unknown item tag ${tag}`);
    }
  }
  r.end();
  return out;
}
