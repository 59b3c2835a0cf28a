// The client-session table (src/kv/sessions.ts) of one group, kept in the
// meta sub-database next to the applied index so that both change in the
// same transaction as the data. The engine is the only writer of its LMDB,
// so the table is also kept in memory (a SessionCache, rebuilt from disk
// when the group is first used and whenever staged writes are dropped): the
// least-recently-used order, which expiry asks for on every proposal, and
// the records themselves, so that applying a proposal does not read LMDB.
// Every change is still written to LMDB in the commit's overlay; the records
// on disk are what a restart reads.

import { decodeResult, resultBytes, writeResult } from '../kv/codec.js';
import type { SessionRecord, SessionTable } from '../kv/sessions.js';
import type { KvResult } from '../kv/types.js';
import { allocNew, readU64, sessionKey, writeU64, type Alloc } from './lmdb-layout.js';
import { ScratchBytes } from './scratch-bytes.js';
import type { BinaryDb, WriteOverlay } from './write-overlay.js';

/**
 * Largest value a session's result may carry (the old value of SET ... GET
 * or GETDEL, the current value of a compare-and-set) for the record to be held in
 * memory; a larger one is read from LMDB when asked for (a retry). With
 * the session limit (DEFAULT_SESSION_LIMITS.maxSessions, 100,000) this bounds the cache to
 * about 100,000 × (128 + ~200) bytes.
 */
export const CACHED_RESULT_MAX_BYTES = 128;

/** One session as the engine holds it in memory. */
export interface CachedSession {
  lastIndex: number;
  /** The record, or null while it is only on disk (not read since the group was loaded, or too large to hold). */
  record: SessionRecord | null;
}

/** clientId → session, least recently used first; names every session of the group. */
export type SessionCache = Map<string, CachedSession>;

export function encodeSessionRecord(rec: SessionRecord, alloc: Alloc = allocNew): Buffer {
  const b = alloc(16 + resultBytes(rec.result));
  writeU64(b, 0, rec.seq);
  writeU64(b, 8, rec.lastIndex);
  writeResult(b, 16, rec.result);
  return b;
}

export function decodeSessionRecord(b: Buffer): SessionRecord {
  return { seq: readU64(b, 0), lastIndex: readU64(b, 8), result: decodeResult(b.subarray(16)) };
}

/** lastIndex of a stored record, without decoding its result. */
export function sessionLastIndex(b: Buffer): number {
  return readU64(b, 8);
}

/** A copy of `b` in memory of its own (a view would keep a whole request frame, or pool slab, alive). */
function ownCopy(b: Uint8Array): Buffer {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return Buffer.from(copy.buffer);
}

/** `rec` as the cache may hold it, or null when its result carries too many bytes. */
function cacheable(rec: SessionRecord): SessionRecord | null {
  const r: KvResult = rec.result;
  switch (r.op) {
    case 'put':
    case 'getdel':
      if (r.old === null) return rec;
      if (r.old.byteLength > CACHED_RESULT_MAX_BYTES) return null;
      return { ...rec, result: { ...r, old: ownCopy(r.old) } };
    case 'cas':
      if (r.current === null) return rec;
      if (r.current.byteLength > CACHED_RESULT_MAX_BYTES) return null;
      return { ...rec, result: { ...r, current: ownCopy(r.current) } };
    default:
      return rec;
  }
}

// A session's key and record are copied into the staged writes at once: made
// in reused buffers, from two instances since both are alive together.
const keyScratch = new ScratchBytes();
const recordScratch = new ScratchBytes();
const scratchKey: Alloc = (n) => keyScratch.take(n);
const scratchRecord: Alloc = (n) => recordScratch.take(n);

export class LmdbSessionTable implements SessionTable {
  constructor(
    private readonly overlay: WriteOverlay,
    private readonly meta: BinaryDb,
    private readonly group: number,
    private readonly cache: SessionCache,
  ) {}

  get(clientId: string): SessionRecord | undefined {
    const s = this.cache.get(clientId);
    if (s === undefined) return undefined;
    return s.record ?? this.load(clientId, s);
  }

  put(clientId: string, rec: SessionRecord): void {
    this.overlay.put(
      this.meta,
      sessionKey(this.group, clientId, scratchKey),
      encodeSessionRecord(rec, scratchRecord),
    );
    // Moved to the most recently used end; a known session keeps its entry object.
    const s = this.cache.get(clientId);
    this.cache.delete(clientId);
    if (s === undefined) {
      this.cache.set(clientId, { lastIndex: rec.lastIndex, record: cacheable(rec) });
    } else {
      s.lastIndex = rec.lastIndex;
      s.record = cacheable(rec);
      this.cache.set(clientId, s);
    }
  }

  delete(clientId: string): void {
    this.overlay.remove(this.meta, sessionKey(this.group, clientId, scratchKey));
    this.cache.delete(clientId);
  }

  size(): number {
    return this.cache.size;
  }

  leastRecentlyUsed(): string | undefined {
    for (const clientId of this.cache.keys()) return clientId;
    return undefined;
  }

  lastUsed(clientId: string): number {
    const s = this.cache.get(clientId);
    if (s === undefined) throw new Error(`session cache has no ${clientId}`);
    return s.lastIndex;
  }

  /** Reads a record the cache names but does not hold, and holds it if it may. */
  private load(clientId: string, s: CachedSession): SessionRecord {
    const b = this.overlay.get(this.meta, sessionKey(this.group, clientId, scratchKey));
    if (b === null) throw new Error(`session cache names ${clientId}, which has no record`);
    const record = decodeSessionRecord(b);
    s.record = cacheable(record);
    return record;
  }
}
