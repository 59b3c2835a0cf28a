// Client sessions (Raft thesis §6.3): what the state machine remembers per
// client so that a retried proposal is applied once. The table is part of the
// replicated state: it lives next to the data (LMDB, or a Map in the
// simulator) and goes into snapshots with it.

import type { KvResult } from './types.js';

/** What is remembered about one client's session. */
export interface SessionRecord {
  /** The highest seq applied for this client. */
  seq: number;
  /** The result of applying `seq`, returned again when it is retried. */
  result: KvResult;
  /** Raft index at which the session was last used (applied or retried); drives expiry. */
  lastIndex: number;
}

export interface SessionTable {
  get(clientId: string): SessionRecord | undefined;
  /** Inserts or replaces. */
  put(clientId: string, rec: SessionRecord): void;
  delete(clientId: string): void;
  /** Number of sessions, for the count bound. */
  size(): number;
  /**
   * The clientId of the session with the smallest lastIndex (the least
   * recently used), or undefined when empty. Expiry asks for it once per
   * applied proposal, so it must be cheap (an ordered Map's first key) and
   * make nothing it does not need.
   */
  leastRecentlyUsed(): string | undefined;
  /** lastIndex of session `clientId`, which exists (without reading its result). */
  lastUsed(clientId: string): number;
}

/**
 * In-memory session table for the simulator and tests. A Map keeps insertion
 * order and put() re-inserts, so the first entry is the least recently used
 * as long as lastIndex never decreases between puts — which holds for
 * applyProposal. To restore a table, put records in ascending lastIndex order
 * (entries() yields them that way).
 */
export class MapSessionTable implements SessionTable {
  private readonly map = new Map<string, SessionRecord>();

  get(clientId: string): SessionRecord | undefined {
    return this.map.get(clientId);
  }
  put(clientId: string, rec: SessionRecord): void {
    this.map.delete(clientId);
    this.map.set(clientId, rec);
  }
  delete(clientId: string): void {
    this.map.delete(clientId);
  }
  size(): number {
    return this.map.size;
  }
  leastRecentlyUsed(): string | undefined {
    for (const clientId of this.map.keys()) return clientId;
    return undefined;
  }
  lastUsed(clientId: string): number {
    const rec = this.map.get(clientId);
    if (rec === undefined) throw new Error(`no session ${clientId}`);
    return rec.lastIndex;
  }
  /** All sessions, least recently used first. */
  entries(): IterableIterator<[string, SessionRecord]> {
    return this.map.entries();
  }
}
