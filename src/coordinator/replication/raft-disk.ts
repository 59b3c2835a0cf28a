// Reading a group's Raft state back from the storage engine at start (and
// after the engine restarted), and writing the bootstrap record of an empty
// data dir. What the engine holds can be one step short of a multi-write
// update (the process died between two writes); the fix-ups below name
// exactly those cases and why they are safe.

import { decodeConfChange, decodeEntry, decodeHardState } from '../../raft/codec.js';
import type {
  ConfState,
  Entry,
  HardState,
  LogSnapshot,
  NodeId,
  PersistedState,
  Snapshot,
} from '../../raft/types.js';
import type { GroupId, RaftStorageApi, StorageApi } from '../../storage/api.js';
import { decodeMemberContext, mergeBook, type AddressBook } from './address-book.js';
import {
  decodeSnapshotData,
  decodeStoredSnapshot,
  encodeSnapshotData,
  encodeStoredSnapshot,
} from './snapshot-format.js';

export type ReplicaStorage = StorageApi & RaftStorageApi;

export interface LoadedRaftState {
  persisted: PersistedState;
  /** The state machine's applied index (RaftConfig.applied). */
  applied: number;
  /** Term of the entry at `applied` (0 when nothing is applied). */
  appliedTerm: number;
  /** Index of the last real snapshot (0: none). */
  snapshotIndex: number;
  /** The engine holds that snapshot's image (taken for a follower before the restart). */
  snapshotImage: boolean;
  book: AddressBook;
}

/** The state of a data dir that never ran Raft: nothing stored at all. */
export class EmptyRaftState extends Error {
  override name = 'EmptyRaftState';
}

export async function loadRaftState(
  storage: ReplicaStorage,
  group: GroupId,
): Promise<LoadedRaftState> {
  // The snapshot's head only: Raft takes a snapshot without its image, which
  // the engine reads back (or first takes: RaftDriver.startCompaction) when a
  // follower needs it.
  const disk = await storage.raftLoad(group);
  const applied = (await storage.stats(group)).appliedIndex;
  if (disk.hardState === null && disk.snapshot === null && disk.entries.length === 0) {
    if (applied > 0) {
      throw new Error(
        `the data dir's state machine is at index ${applied} but it holds no Raft log or snapshot; ` +
          'it cannot rejoin safely: start this node with an empty data dir',
      );
    }
    throw new EmptyRaftState('no raft state yet');
  }
  const stored: Snapshot | null = disk.snapshot ? decodeStoredSnapshot(disk.snapshot) : null;
  const book: AddressBook = new Map();
  let initialConf: ConfState = { voters: [], learners: [] };
  let snapshot: LogSnapshot | null = null;
  if (stored) {
    mergeBook(book, decodeSnapshotData(stored.data).book);
    if (stored.metadata.index === 0) initialConf = stored.metadata.conf;
    else snapshot = { metadata: stored.metadata, data: null };
  }
  const snapIndex = snapshot?.metadata.index ?? 0;
  const snapTerm = snapshot?.metadata.term ?? 0;
  const kept = logAfterSnapshot(
    disk.entries.map((e) => decodeEntry(e.data)),
    snapIndex,
    snapTerm,
  );
  if (kept.dropped) {
    // The log does not continue the snapshot: empty it on disk too, so the
    // next append (at snapIndex + 1) is neither a gap nor before its start.
    await storage.raftTruncate(group, snapIndex + 1);
    await storage.raftCompact(group, snapIndex);
  }
  const entries = kept.entries;
  for (const entry of entries) {
    if (entry.type === 'conf-change') {
      const cc = decodeConfChange(entry.data);
      const addr = decodeMemberContext(cc.context);
      if (addr) mergeBook(book, new Map([[cc.node, addr]]));
    }
  }
  let hardState: HardState = disk.hardState
    ? decodeHardState(disk.hardState)
    : { term: 0, vote: null, commit: 0 };
  // Installing a snapshot from the leader writes the image and snapshot first,
  // then the hard state: a crash in between leaves a hard state older than the
  // snapshot. The snapshot is committed by definition, and raising the term
  // without a vote promises nothing.
  if (hardState.commit < snapIndex) hardState = { ...hardState, commit: snapIndex };
  if (hardState.term < snapTerm)
    hardState = { term: snapTerm, vote: null, commit: hardState.commit };
  // Entries dropped above may have been committed, but only through what we hold.
  const lastIndex = snapIndex + entries.length;
  if (hardState.commit > lastIndex) hardState = { ...hardState, commit: lastIndex };
  if (applied < snapIndex) {
    throw new Error(
      `the state machine (index ${applied}) is older than the Raft snapshot (${snapIndex}); the data dir is inconsistent`,
    );
  }
  // Applying happens only after the commit index that covers it is durable.
  if (applied > hardState.commit) hardState = { ...hardState, commit: applied };
  let appliedTerm = applied === snapIndex ? snapTerm : 0;
  if (applied > snapIndex) {
    const e = entries[applied - snapIndex - 1];
    if (e === undefined || e.index !== applied) {
      throw new Error(
        `the Raft log does not hold the applied index ${applied} (log ${snapIndex + 1}..${snapIndex + entries.length}); the data dir is inconsistent`,
      );
    }
    appliedTerm = e.term;
  }
  return {
    persisted: { hardState, snapshot, entries, initialConf },
    applied,
    appliedTerm,
    snapshotIndex: snapIndex,
    snapshotImage: snapshot !== null && disk.snapshotImage,
    book,
  };
}

/**
 * Whether `id` was a member of a membership this data dir applied: of the
 * snapshot's (or the bootstrap record's), or added by a committed entry
 * after it (applied, or applied again by the first Ready: the engine's
 * applied index may lag the durable commit index, and the log is replayed
 * through it). Not so for a node that joined (--join) and has not yet
 * learned that the change that adds it committed (its bootstrap record, or a
 * snapshot from before its admission, lacks it): it is on its way, not
 * removed. A removed node was, and the stored snapshot keeps that: a node
 * outside its membership takes no snapshot of its own (RaftDriver.snapshotDue).
 */
export function wasMember(id: NodeId, loaded: LoadedRaftState): boolean {
  const { snapshot, initialConf, entries, hardState } = loaded.persisted;
  const first = snapshot?.metadata.conf ?? initialConf;
  if (first.voters.includes(id) || first.learners.includes(id)) return true;
  return entries.some((e) => {
    if (e.index > hardState.commit || e.type !== 'conf-change') return false;
    const cc = decodeConfChange(e.data);
    return cc.node === id && cc.type !== 'remove';
  });
}

/**
 * The log entries that continue a snapshot at snapIndex (term snapTerm),
 * given the log as stored (contiguous, ascending). The storage engine
 * writes an installed snapshot (to its state store) and then empties the
 * log (in its write-ahead log): a crash between the two leaves the old log
 * after a newer snapshot. Raft's log matching rule decides what of it
 * still holds: entries after the snapshot are kept only if the log holds
 * the snapshot's own index with the snapshot's term (same index and term:
 * same prefix), or starts right after it (compacted or emptied at the
 * snapshot). Otherwise every entry after the snapshot is dropped, as the
 * install did in memory (`dropped`: the stored log must be emptied too).
 */
export function logAfterSnapshot(
  stored: readonly Entry[],
  snapIndex: number,
  snapTerm: number,
): { entries: Entry[]; dropped: boolean } {
  const first = stored[0];
  if (first === undefined) return { entries: [], dropped: false };
  const last = stored[stored.length - 1] as Entry;
  if (snapIndex === 0) return { entries: [...stored], dropped: false };
  if (last.index <= snapIndex) {
    // Nothing after the snapshot; a log ending before it would leave a gap.
    return { entries: [], dropped: last.index < snapIndex };
  }
  const at = snapIndex - first.index;
  const continues = at < 0 ? first.index === snapIndex + 1 : stored[at]?.term === snapTerm;
  if (!continues) return { entries: [], dropped: true };
  return { entries: stored.slice(Math.max(0, at + 1)), dropped: false };
}

/** Stores the first membership of an empty data dir (see snapshot-format.ts). */
export async function writeBootstrap(
  storage: ReplicaStorage,
  group: GroupId,
  conf: ConfState,
  book: AddressBook,
): Promise<void> {
  const record: Snapshot = {
    metadata: { index: 0, term: 0, conf },
    data: encodeSnapshotData(book, new Uint8Array(0)),
  };
  await storage.raftSaveSnapshot(group, encodeStoredSnapshot(record));
}
