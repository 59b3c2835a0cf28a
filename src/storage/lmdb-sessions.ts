// The client-session table (src/kv/sessions.ts) of one group, kept in the
// meta sub-database next to the applied index so that both change in the
// same transaction as the data. Records are read through the commit's
// overlay; the least-recently-used order, which expiry asks for once per
// proposal, is kept in memory (a Map in lastIndex order, rebuilt from disk
// when the group is first used).

import { decodeResult, encodeResult } from '../kv/codec.js';
import type { SessionRecord, SessionTable } from '../kv/sessions.js';
import { readU64, sessionKey, writeU64 } from './lmdb-layout.js';
import type { BinaryDb, WriteOverlay } from './write-overlay.js';

export function encodeSessionRecord(rec: SessionRecord): Buffer {
  const result = encodeResult(rec.result);
  const b = Buffer.allocUnsafe(16 + result.byteLength);
  writeU64(b, 0, rec.seq);
  writeU64(b, 8, rec.lastIndex);
  b.set(result, 16);
  return b;
}

export function decodeSessionRecord(b: Buffer): SessionRecord {
  return { seq: readU64(b, 0), lastIndex: readU64(b, 8), result: decodeResult(b.subarray(16)) };
}

/** lastIndex of a stored record, without decoding its result. */
export function sessionLastIndex(b: Buffer): number {
  return readU64(b, 8);
}

export class LmdbSessionTable implements SessionTable {
  constructor(
    private readonly overlay: WriteOverlay,
    private readonly meta: BinaryDb,
    private readonly group: number,
    /** clientId → lastIndex, least recently used first. */
    private readonly order: Map<string, number>,
  ) {}

  get(clientId: string): SessionRecord | undefined {
    const b = this.overlay.get(this.meta, sessionKey(this.group, clientId));
    return b ? decodeSessionRecord(b) : undefined;
  }

  put(clientId: string, rec: SessionRecord): void {
    this.overlay.put(this.meta, sessionKey(this.group, clientId), encodeSessionRecord(rec));
    this.order.delete(clientId);
    this.order.set(clientId, rec.lastIndex);
  }

  delete(clientId: string): void {
    this.overlay.remove(this.meta, sessionKey(this.group, clientId));
    this.order.delete(clientId);
  }

  size(): number {
    return this.order.size;
  }

  leastRecentlyUsed(): { clientId: string; record: SessionRecord } | undefined {
    for (const clientId of this.order.keys()) {
      const record = this.get(clientId);
      if (!record) throw new Error(`session order names ${clientId}, which has no record`);
      return { clientId, record };
    }
    return undefined;
  }
}
