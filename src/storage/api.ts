// What the coordinator may ask of its storage engine. The storage client
// (socket side) implements it; the coordinator depends on this interface only,
// so the engine's backend (LMDB now, MongoDB later) never leaks upward.

import type { Bytes, KvResult, Proposal } from '../kv/types.js';

/** Raft group id. One group (0) holds the whole key space today; sharding adds more. */
export type GroupId = number;

export interface ScanPage {
  entries: Array<[Bytes, Bytes]>;
  /** The key to resume from, or null when the scan reached the end. */
  next: Bytes | null;
}

export interface GroupStats {
  keys: number;
  /** Bytes on disk used by the whole store (all groups). */
  diskBytes: number;
  appliedIndex: number;
}

export interface StorageApi {
  /**
   * Applies proposals in order, atomically, in one durable transaction, and
   * records `appliedIndex` (the Raft index of the last one; 0 without Raft).
   * Resolves once it is fsynced. Results are in the same order.
   */
  apply(group: GroupId, proposals: Proposal[], appliedIndex: number): Promise<KvResult[]>;
  get(group: GroupId, key: Bytes): Promise<Bytes | null>;
  /** Keys in byte order, starting at `start` (inclusive), at most `limit` of them. */
  scan(group: GroupId, start: Bytes, limit: number): Promise<ScanPage>;
  stats(group: GroupId): Promise<GroupStats>;
  close(): Promise<void>;
}
