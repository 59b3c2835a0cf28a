// What the storage server needs from a persistence backend. The server owns
// the protocol and group commit; a backend only reads, and commits a batch of
// writes durably. LMDB implements it now; a MongoDB backend would implement
// the same interface (a transaction with journaled write concern per commit)
// and nothing above the server changes: the coordinator only sees the socket.

import type { Bytes, KvResult, Proposal } from '../kv/types.js';
import type { GroupId, RaftLogEntry, ScanPage } from './api.js';
import type { LogEntrySize } from './frame-check.js';

/** One write request to the state store; a commit carries many of them (the Raft log has its own writes, below). */
export type WriteOp =
  | { kind: 'apply'; group: GroupId; proposals: Proposal[]; appliedIndex: number }
  | { kind: 'raft-snapshot'; group: GroupId; snapshot: Bytes }
  /** Image install, step 1: empty the group's staging area. */
  | { kind: 'image-stage-clear'; group: GroupId }
  /** Step 2, per chunk: keep the next piece of an image (already checked) in the staging area. */
  | { kind: 'image-stage'; group: GroupId; seq: number; chunk: Buffer }
  /**
   * Step 3: replaces the group's pairs, sessions and applied index with the
   * staged image, in one transaction; with a Raft snapshot head, also stores
   * it, alone (the installed state is the snapshot's image), and discards
   * the whole log (a follower catching up from a snapshot, a restore).
   * Committed alone: nothing else may be in its transaction.
   */
  | { kind: 'image-install'; group: GroupId; raftSnapshot: Bytes | null }
  /** Stores a Raft snapshot: `head` followed by the pieces of its image (replacing the previous one). */
  | { kind: 'raft-snapshot-pieces'; group: GroupId; head: Bytes; pieces: Buffer[] };

/** apply's results, or null for the other writes. */
export type WriteResult = KvResult[] | null;

/**
 * Log entries as an append request carries them and the write-ahead log
 * stores them: `count` entries with consecutive indexes from `first`, each
 * len:u32 data in `bytes`. The engine logs them with one copy, without an
 * object or a view per entry.
 */
export interface PackedEntries {
  first: number;
  count: number;
  bytes: Uint8Array;
}

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
  /** Durable writes to the Raft log's own files since the backend opened (0 if it keeps the log elsewhere)… */
  walWrites: number;
  /** …and the bytes they wrote. */
  walWrittenBytes: number;
}

export interface RaftLogBounds {
  /** Index of the first stored entry; lastIndex < firstIndex when the log is empty. */
  firstIndex: number;
  lastIndex: number;
}

/** A group's Raft state as a restart reads it (the log's entries are read apart). */
export interface RaftState extends RaftLogBounds {
  hardState: Bytes | null;
  /** The stored snapshot's head. */
  snapshot: Bytes | null;
  /** Bytes of its image stored after it (raftSnapshotImage); 0: the state machine is its image. */
  snapshotImageBytes: number;
}

export interface StorageBackend {
  /**
   * Runs `ops` in order against the state every earlier staged op left and
   * adds their writes to the next commit; one outcome per op: its result, or
   * the WriteConflictError that refused it. Throws (dropping everything
   * staged and not committed) if an op fails otherwise.
   */
  stage(ops: readonly WriteOp[]): Array<WriteResult | WriteConflictError>;
  /**
   * Commits everything staged in ONE durable transaction and resolves once it
   * is fsynced; commits are durable in order. Rejects, dropping everything
   * staged, if it fails. The caller runs one at a time, and may stage more
   * meanwhile: reads (`get`) see staged writes, range reads wait for them.
   */
  commitStaged(): Promise<void>;
  /** Resolves once every write staged before the call is committed. */
  committed(): Promise<void>;
  /** Key and value bytes staged for the next commit (bounds what is held in memory). */
  stagedBytes(): number;
  get(group: GroupId, key: Bytes): Promise<Bytes | null>;
  /**
   * Hands `visit` the value of each of `keys` in order (null where absent)
   * while it returns true; resolves with how many it visited. A value is
   * valid only during its visit (it may be the backend's own buffer), so a
   * batch of reads is copied once, into its reply.
   */
  readEach(
    group: GroupId,
    keys: readonly Bytes[],
    visit: (value: Uint8Array | null) => boolean,
  ): Promise<number>;
  /** At most `limit` entries from `start` (inclusive) and at most about `maxBytes` of them. */
  scan(group: GroupId, start: Bytes, limit: number, maxBytes: number): Promise<ScanPage>;
  stats(group: GroupId): Promise<BackendStats>;
  raftState(group: GroupId): Promise<RaftState>;
  raftEntries(group: GroupId, lo: number, hi: number, maxBytes: number): Promise<RaftLogEntry[]>;
  /**
   * Each group's largest Raft log entry after its applied index, and at or
   * before it: at start, the server checks its frame against them (frame-check.ts).
   */
  largestLogEntries(): LogEntrySize[];
  /**
   * The Raft log's writes do not go through `stage`/`commitStaged`: each is
   * checked at once (a WriteConflictError rejects it: a gap, an append
   * before the first entry), takes effect for later reads and writes at
   * once, and resolves once durable. Writes arriving together share one
   * durable write. An apply staged after a log write is never committed
   * before it; a compaction waits for what is staged to be committed.
   */
  raftAppend(
    group: GroupId,
    entries: readonly RaftLogEntry[] | PackedEntries,
    hardState: Bytes | null,
  ): Promise<void>;
  /** Deletes every entry with index >= fromIndex. */
  raftTruncate(group: GroupId, fromIndex: number): Promise<void>;
  /** Deletes every entry with index <= throughIndex; past the end, the log is empty and takes throughIndex + 1 next. */
  raftCompact(group: GroupId, throughIndex: number): Promise<void>;
  /**
   * A reader of the group's state image (state-image.ts) as of the last
   * commit (not what is staged), in chunks; it holds a read snapshot until closed.
   */
  openImageReader(group: GroupId): ImageReader;
  /**
   * Bytes of the image of the stored Raft snapshot whose head is `head`
   * (what raftState answered), from byte `offset`: at most `maxBytes`, and
   * not past the end of the stored piece that holds `offset` (so at least
   * one byte, unless `offset` is at or past the image's end: none). The
   * head and the piece are read in one read transaction: a piece of another
   * snapshot (stored meanwhile) is refused with WriteConflictError, so
   * ranges read one by one always come from one snapshot.
   */
  raftSnapshotImage(group: GroupId, head: Bytes, offset: number, maxBytes: number): Promise<Bytes>;
  close(): Promise<void>;
}

/** One consistent state image, read in chunks from a snapshot of the store. */
export interface ImageReader {
  readonly appliedIndex: number;
  readonly keys: number;
  /** The next piece of the image, about maxBytes (more only for one large item); last: the end mark is in it. */
  next(maxBytes: number): { chunk: Buffer; last: boolean };
  /** Releases the read snapshot. Idempotent. */
  close(): void;
}
