// A simulated node's replicated state: the KV store and its client sessions,
// with a canonical byte image. The image is the snapshot a node hands to
// RawNode.compact, and its hash is what the safety monitor compares between
// a node and the replay of the committed log.
//
// image := count:u32 (key value)*  sessions:u32 (clientId seq:f64 lastIndex:f64 result)*
// bytes := len:u32 byte*           clientId := len:u32 utf8

import { applyProposal } from '../kv/apply.js';
import { decodeResult, encodeResult } from '../kv/codec.js';
import { MapKvStore } from '../kv/map-store.js';
import { MapSessionTable } from '../kv/sessions.js';
import type { Bytes, KvResult, Proposal } from '../kv/types.js';

export class KvState {
  store = new MapKvStore();
  sessions = new MapSessionTable();

  apply(p: Proposal, index: number): KvResult {
    return applyProposal(this.store, this.sessions, p, index);
  }

  image(): Uint8Array {
    const parts: Uint8Array[] = [];
    const entries = this.store.sortedEntries();
    parts.push(u32(entries.length));
    for (const [k, v] of entries) parts.push(u32(k.byteLength), k, u32(v.byteLength), v);
    const sessions = [...this.sessions.entries()];
    parts.push(u32(sessions.length));
    for (const [id, rec] of sessions) {
      const idBytes = Buffer.from(id, 'utf8');
      const result = encodeResult(rec.result);
      const nums = Buffer.alloc(16);
      nums.writeDoubleBE(rec.seq, 0);
      nums.writeDoubleBE(rec.lastIndex, 8);
      parts.push(u32(idBytes.length), idBytes, nums, u32(result.length), result);
    }
    return Buffer.concat(parts);
  }

  static fromImage(image: Uint8Array): KvState {
    const b = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    const s = new KvState();
    let at = 0;
    const take = (): Buffer => {
      const n = b.readUInt32BE(at);
      const out = b.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return out;
    };
    const count = b.readUInt32BE(at);
    at += 4;
    for (let i = 0; i < count; i++) {
      const k = take();
      s.store.put(k, take());
    }
    const sessions = b.readUInt32BE(at);
    at += 4;
    // Images list sessions least recently used first, the order MapSessionTable restores from.
    for (let i = 0; i < sessions; i++) {
      const id = take().toString('utf8');
      const seq = b.readDoubleBE(at);
      const lastIndex = b.readDoubleBE(at + 8);
      at += 16;
      s.sessions.put(id, { seq, lastIndex, result: decodeResult(take()) });
    }
    return s;
  }

  get(key: Bytes): Bytes | undefined {
    return this.store.get(key);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** FNV-1a over the image: cheap to keep one per committed index. */
export function hashImage(image: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ (image[i] as number), 0x01000193);
  return (h ^ image.length) >>> 0;
}
