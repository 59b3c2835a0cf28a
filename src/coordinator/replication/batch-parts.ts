// A Ready's log write, or an apply of its committed entries, in storage
// requests that each fit the engine's frame (STORAGE_MAX_FRAME_SIZE, as low
// as 1 KiB): a follower catching up gets up to what its leader keeps in
// flight (32 MiB) in one Ready, and a Ready commits up to 17 MiB. The parts
// leave at once, in order, on one connection; the engine does them in that
// order (its write-ahead log and its applies are sequential), so a crash
// leaves a prefix of them done.

import type { KvResult } from '../../kv/types.js';
import { encodeEntries, encodeHardState } from '../../raft/codec.js';
import type { Entry, HardState } from '../../raft/types.js';
import { BATCH_ITEM_OVERHEAD_BYTES, type GroupId } from '../../storage/api.js';
import { StorageError } from '../../storage/errors.js';
import { REPLY_FRAME_FACTOR } from '../../storage/protocol.js';
import type { ReplicaStorage } from './raft-disk.js';

/**
 * Room a proposal's data leaves in a request for the rest of its log write:
 * its entry record (index, term, type) and a hard state (term, vote, commit)
 * take far less.
 */
const PROPOSAL_SLACK_BYTES = 1024;

/**
 * Bytes of the largest entry (its data) an engine whose requests carry
 * `batchRoom` can write and apply: one entry is never split.
 */
export function entryRoom(batchRoom: number): number {
  return Math.max(0, batchRoom - PROPOSAL_SLACK_BYTES);
}

/**
 * Appends `entries` and writes `hardState` (null: unchanged), in as many
 * raftAppend requests as they need. The first part replaces the stored
 * suffix from its first index on, the others continue it. Each part writes
 * the hard state, its commit index no further than that part's last entry:
 * a restart after any prefix of the parts finds its term and vote (written
 * with the first of its entries) and a commit index the log holds.
 */
export async function appendInParts(
  storage: ReplicaStorage,
  group: GroupId,
  entries: readonly Entry[],
  hardState: HardState | null,
): Promise<void> {
  const records = encodeEntries(entries);
  const hs = hardState ? encodeHardState(hardState) : null;
  const room = storage.batchRoom - (hs ? hs.length + BATCH_ITEM_OVERHEAD_BYTES : 0);
  const ends = cut(records, room, 'raft log entry');
  if (ends.length <= 1) {
    const list = records.map((data, i) => ({ index: (entries[i] as Entry).index, data }));
    return storage.raftAppend(group, list, hs);
  }
  const parts: Array<Promise<void>> = [];
  let start = 0;
  for (const end of ends) {
    const list = [];
    for (let i = start; i < end; i++) {
      list.push({ index: (entries[i] as Entry).index, data: records[i] as Uint8Array });
    }
    const last = (entries[end - 1] as Entry).index;
    const partHs = hardState
      ? encodeHardState({ ...hardState, commit: Math.min(hardState.commit, last) })
      : null;
    parts.push(storage.raftAppend(group, list, partHs));
    start = end;
  }
  await Promise.all(parts);
}

/** A result's bytes beside the value it carries (its codec fields and length). */
const RESULT_SLACK_BYTES = 32;

/**
 * How many entries whose results carry a stored value (`SET … GET`,
 * GETSET, GETDEL, a compare-and-set's current value) one apply may hold, so
 * that its reply fits what the client accepts (REPLY_FRAME_FACTOR requests):
 * one request's worth for the other results (at most the size of their
 * entries), the rest for values of up to `maxValueBytes`, which cannot be
 * larger than an entry either. At least one.
 */
export function valueResultsPerApply(batchRoom: number, maxValueBytes: number): number {
  const value = Math.min(maxValueBytes, batchRoom) + RESULT_SLACK_BYTES;
  return Math.max(1, Math.floor(((REPLY_FRAME_FACTOR - 1) * batchRoom) / value));
}

/**
 * Applies the committed entries `encoded`, the last at index `last`, in as
 * many apply requests as they need, each recording the index of its own
 * last entry as applied; resolves with every result, in order. Entries
 * whose results may carry a stored value (`carriesValue(i)`) are counted
 * apart: a reply holding too many of them would be larger than the client
 * accepts, and the client would drop the connection over it.
 */
export async function applyInParts(
  storage: ReplicaStorage,
  group: GroupId,
  encoded: readonly Uint8Array[],
  last: number,
  carriesValue: (i: number) => boolean,
  maxValueBytes: number,
): Promise<KvResult[]> {
  const perApply = valueResultsPerApply(storage.batchRoom, maxValueBytes);
  const ends = cut(encoded, storage.batchRoom, 'committed entry', carriesValue, perApply);
  if (ends.length <= 1) return storage.apply(group, encoded, last);
  const first = last - encoded.length + 1;
  const parts: Array<Promise<KvResult[]>> = [];
  let start = 0;
  for (const end of ends) {
    parts.push(storage.apply(group, encoded.slice(start, end), first + end - 1));
    start = end;
  }
  return (await Promise.all(parts)).flat();
}

/** An entry larger than one storage request: the engine's frame is too small for it. */
export class EntryOverFrameError extends StorageError {
  override name = 'EntryOverFrameError';
  constructor(
    /** The entry's bytes in a request (its record and BATCH_ITEM_OVERHEAD_BYTES). */
    readonly bytes: number,
    /** What a request has room for. */
    readonly room: number,
    what: string,
  ) {
    super(
      'limit',
      `a ${what} of ${bytes} bytes does not fit a storage request (${room} bytes of room): ` +
        'raise STORAGE_MAX_FRAME_SIZE above the largest value',
    );
  }
}

/**
 * Ends (exclusive) of consecutive runs of `items` whose bytes, each counting
 * BATCH_ITEM_OVERHEAD_BYTES more, fit `room`, and that hold at most
 * `perRun` items `counted`.
 */
export function cut(
  items: readonly Uint8Array[],
  room: number,
  what: string,
  counted: (i: number) => boolean = () => false,
  perRun = Infinity,
): number[] {
  const ends: number[] = [];
  let used = 0;
  let count = 0;
  for (let i = 0; i < items.length; i++) {
    const bytes = (items[i] as Uint8Array).length + BATCH_ITEM_OVERHEAD_BYTES;
    if (bytes > room) throw new EntryOverFrameError(bytes, room, what);
    const one = counted(i) ? 1 : 0;
    if (used + bytes > room || count + one > perRun) {
      ends.push(i);
      used = 0;
      count = 0;
    }
    used += bytes;
    count += one;
  }
  if (items.length > 0) ends.push(items.length);
  return ends;
}
