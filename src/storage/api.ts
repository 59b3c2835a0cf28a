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
  /** Engine-wide group commit counters (all groups): durable LMDB commits so far (Raft log writes are not among them)… */
  commits?: number;
  /** …and the write requests they carried; writes / commits is the batching factor. */
  committedWrites?: number;
  /** The Raft write-ahead log's durable writes so far (each one O_DSYNC writev, at most 1 MiB or one larger record)… */
  walWrites?: number;
  /** …and the bytes they wrote. */
  walWrittenBytes?: number;
}

/**
 * What each proposal of an apply, and each entry and the hard state of a
 * raftAppend, costs in its request beyond its own bytes (see batchRoom).
 */
export const BATCH_ITEM_OVERHEAD_BYTES = 4;

export interface StorageApi {
  /**
   * Bytes one apply or raftAppend request carries at most, each proposal,
   * entry and hard state counting its length plus BATCH_ITEM_OVERHEAD_BYTES:
   * the engine's largest frame less the request's fixed fields. A larger
   * batch goes in several requests (coordinator/replication/batch-parts.ts).
   */
  readonly batchRoom: number;
  /** The engine's largest request frame (STORAGE_MAX_FRAME_SIZE), from its hello. */
  readonly maxFrameBytes: number;
  /**
   * Applies proposals in order, atomically, in one durable transaction, and
   * records `appliedIndex` (the Raft index of the last one; 0 without Raft).
   * Resolves once it is fsynced. Results are in the same order.
   * With Raft, proposals[i] is the entry at index appliedIndex - n + 1 + i
   * (n = proposals.length): pass a noop proposal for an entry that carries no
   * command (leader no-op, conf change) so the indexes line up. An appliedIndex
   * at or below the group's current one (other than 0) is refused.
   * A proposal may be given already encoded (encodeProposal's bytes: a Raft
   * entry's data), so a replica's apply does not encode it again.
   */
  apply(
    group: GroupId,
    proposals: ReadonlyArray<Proposal | Bytes>,
    appliedIndex: number,
  ): Promise<KvResult[]>;
  /**
   * The value of `key`, or null. Once `cancel` is aborted (the client that
   * asked is gone) a read not yet sent to the engine is not sent: it rejects
   * with StorageError 'cancelled'.
   */
  get(group: GroupId, key: Bytes, cancel?: AbortSignal): Promise<Bytes | null>;
  /** Keys in byte order, starting at `start` (inclusive), at most `limit` of them. */
  scan(group: GroupId, start: Bytes, limit: number): Promise<ScanPage>;
  stats(group: GroupId): Promise<GroupStats>;
  close(): Promise<void>;
}

/**
 * Largest key the engine stores, in bytes: lmdb-js's key limit at the default
 * page size (1978) less the 4-byte group prefix.
 */
export const STORAGE_MAX_KEY_BYTES = 1974;

/** One Raft log entry as the engine keeps it: opaque bytes at an index. */
export interface RaftLogEntry {
  index: number;
  data: Bytes;
}

/** Everything the engine keeps for one group's Raft state, as opaque bytes. */
export interface RaftDiskState {
  hardState: Bytes | null;
  snapshot: Bytes | null;
  /**
   * The engine holds the snapshot's image with it (taken for a follower,
   * raftSnapshotFromState with `image`): raftSnapshotImage reads any range of it.
   * Otherwise the snapshot is its head alone (the state machine is its image).
   */
  snapshotImage: boolean;
  /** The log, contiguous, ascending by index (empty when nothing is stored). */
  entries: RaftLogEntry[];
}

/**
 * Raft persistence. The engine stores opaque bytes and knows nothing of Raft
 * beyond log indexes; every write resolves once durable (fsynced).
 */
export interface RaftStorageApi {
  /**
   * Appends contiguous entries and (if not null) replaces the hard state, in
   * one durable transaction. Stored entries at or after the first new index
   * are replaced (a conflicting suffix). A gap after the last stored entry
   * is refused.
   */
  raftAppend(group: GroupId, entries: RaftLogEntry[], hardState: Bytes | null): Promise<void>;
  /** Deletes every entry with index >= fromIndex. */
  raftTruncate(group: GroupId, fromIndex: number): Promise<void>;
  /** Deletes every entry with index <= throughIndex (after a snapshot). */
  raftCompact(group: GroupId, throughIndex: number): Promise<void>;
  /** Replaces the stored snapshot (opaque: metadata and image as Raft encodes them). */
  raftSaveSnapshot(group: GroupId, snapshot: Bytes): Promise<void>;
  /** Entries with lo <= index < hi, ascending; stops after maxBytes of data (always at least one). */
  raftEntries(group: GroupId, lo: number, hi: number, maxBytes?: number): Promise<RaftLogEntry[]>;
  /**
   * Hard state, snapshot and the whole log, for a restart. The snapshot is
   * its head only (what was stored before any image: raftSnapshotFromState,
   * installImage), and whether its image is stored after it;
   * raftLoadSnapshot reads it whole.
   */
  raftLoad(group: GroupId): Promise<RaftDiskState>;
  /**
   * Stores a Raft snapshot at the group's applied index: `head` (opaque),
   * followed, with `image`, by the group's state image, written by the
   * engine from its own state in one transaction. Refused unless the
   * group's applied index is exactly `appliedIndex` once every write sent
   * before is committed: the state machine it covers is durable before the
   * snapshot is, so the log before it may then be compacted. Without
   * `image` it drops the previous snapshot's image too.
   */
  raftSnapshotFromState(
    group: GroupId,
    appliedIndex: number,
    head: Bytes,
    image: boolean,
  ): Promise<void>;
  /** The stored snapshot, whole (its head followed by its image, if it has one), or null. */
  raftLoadSnapshot(group: GroupId): Promise<Bytes | null>;
  /** The stored snapshot's head and the size of the image stored after it (0: none), or null. */
  raftStoredSnapshot(group: GroupId): Promise<StoredSnapshotInfo | null>;
  /**
   * Bytes of the image of the stored snapshot whose head is `head`, from
   * `offset`: 1 to `maxBytes` of them (fewer at the end of a stored piece),
   * none at or past the image's end. Refused (WriteConflictError) once that
   * snapshot was replaced, so ranges read one by one come from one snapshot.
   */
  raftSnapshotImage(group: GroupId, head: Bytes, offset: number, maxBytes: number): Promise<Bytes>;
  /**
   * Replaces the group's state machine (pairs, sessions, applied index) with
   * an image given in consecutive pieces (cut anywhere), streamed to the
   * engine in frames, checked and staged, then swapped in by one transaction.
   * With `raftSnapshotHead`, the same transaction stores the snapshot's head
   * alone (the installed state machine is its image, as after a compaction)
   * and discards the whole log (a follower catching up from a snapshot; a
   * restore). An image older than the applied index is refused.
   */
  installImage(
    group: GroupId,
    image: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    raftSnapshotHead: Bytes | null,
  ): Promise<void>;
  /**
   * installImage in steps, for an image that arrives over time (a follower
   * stages a snapshot as the leader sends it): begin answers the install's
   * id (and ends an earlier install of the group begun on this connection);
   * each chunk resolves once its bytes are durably staged; commit swaps the
   * staged image in as installImage does. imageSessionEnd abandons it.
   */
  imageInstallBegin(group: GroupId): Promise<number>;
  imageInstallChunk(group: GroupId, id: number, chunk: Uint8Array): Promise<void>;
  imageInstallCommit(group: GroupId, id: number, raftSnapshotHead: Bytes | null): Promise<void>;
  /** Ends an install (or export) early; unknown ids are ignored. */
  imageSessionEnd(group: GroupId, id: number): Promise<void>;
}

/** The stored Raft snapshot: its head, and the bytes of its image stored after it. */
export interface StoredSnapshotInfo {
  head: Bytes;
  imageBytes: number;
}

/** An open image export: a consistent read snapshot of one group. */
export interface ImageExportInfo {
  id: number;
  appliedIndex: number;
  keys: number;
}

/** Streaming a group's state image out (backups). */
export interface ImageExportApi {
  imageExportBegin(group: GroupId): Promise<ImageExportInfo>;
  /** The next piece of the image (about maxBytes); `last` when it holds the end mark (the export is then over). */
  imageExportChunk(
    group: GroupId,
    id: number,
    maxBytes: number,
  ): Promise<{ chunk: Buffer; last: boolean }>;
  /** Ends an export (or install) early; unknown ids are ignored. */
  imageSessionEnd(group: GroupId, id: number): Promise<void>;
}
