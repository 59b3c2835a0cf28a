// What the storage server needs from a persistence backend. The server owns
// the protocol and group commit; a backend only reads, and commits a batch of
// writes durably. LMDB implements it now; a MongoDB backend would implement
// the same interface (a transaction with journaled write concern per commit)
// and nothing above the server changes: the coordinator only sees the socket.

import type { Bytes, KvResult, Proposal } from '../kv/types.js';
import type { GroupId, RaftLogEntry, ScanPage } from './api.js';
import type { DecodedImage } from './state-image.js';

/** One write request; a commit carries many of them. */
export type WriteOp =
  | { kind: 'apply'; group: GroupId; proposals: Proposal[]; appliedIndex: number }
  | { kind: 'raft-append'; group: GroupId; entries: RaftLogEntry[]; hardState: Bytes | null }
  | { kind: 'raft-truncate'; group: GroupId; fromIndex: number }
  | { kind: 'raft-compact'; group: GroupId; throughIndex: number }
  | { kind: 'raft-snapshot'; group: GroupId; snapshot: Bytes }
  /**
   * Replaces the group's pairs, sessions and applied index with an image; with
   * a Raft snapshot, also stores it and discards the whole log (a follower
   * catching up from a snapshot).
   */
  | { kind: 'install-image'; group: GroupId; image: DecodedImage; raftSnapshot: Bytes | null };

/** apply's results, or null for the other writes. */
export type WriteResult = KvResult[] | null;

/**
 * A write refused before it changed anything (a log gap, an applied index
 * going backwards). Only that write fails; the rest of its commit goes on.
 */
export class WriteConflictError extends Error {
  override name = 'WriteConflictError';
}

/** A request over a documented limit; only that request fails. */
export class LimitExceededError extends Error {
  override name = 'LimitExceededError';
}

export interface BackendStats {
  keys: number;
  diskBytes: number;
  appliedIndex: number;
}

export interface RaftLogBounds {
  /** Index of the first stored entry; lastIndex < firstIndex when the log is empty. */
  firstIndex: number;
  lastIndex: number;
}

export interface StorageBackend {
  /**
   * Runs `ops` in order in ONE durable transaction and resolves once it is
   * fsynced, with one outcome per op: its result, or the WriteConflictError
   * that refused it. Rejects (nothing written) if the commit itself fails.
   * The caller runs one commit at a time.
   */
  commit(ops: readonly WriteOp[]): Promise<Array<WriteResult | WriteConflictError>>;
  get(group: GroupId, key: Bytes): Promise<Bytes | null>;
  /** At most `limit` entries from `start` (inclusive) and at most about `maxBytes` of them. */
  scan(group: GroupId, start: Bytes, limit: number, maxBytes: number): Promise<ScanPage>;
  stats(group: GroupId): Promise<BackendStats>;
  raftState(
    group: GroupId,
  ): Promise<{ hardState: Bytes | null; snapshot: Bytes | null } & RaftLogBounds>;
  raftEntries(group: GroupId, lo: number, hi: number, maxBytes: number): Promise<RaftLogEntry[]>;
  /**
   * The group's state image (state-image.ts) as of the last commit, and the
   * applied index it reflects. LimitExceededError if it exceeds maxBytes.
   */
  exportImage(group: GroupId, maxBytes: number): Promise<{ appliedIndex: number; image: Buffer }>;
  close(): Promise<void>;
}
