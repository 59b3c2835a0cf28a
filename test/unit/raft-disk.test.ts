// loadRaftState's rule for a log left behind a newer snapshot (a crash
// between an install's state-store commit and its log reset), and what it
// reads of a node's membership history (wasMember: joining, or removed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  logAfterSnapshot,
  wasMember,
  type LoadedRaftState,
} from '../../src/coordinator/replication/raft-disk.js';
import { encodeConfChange } from '../../src/raft/codec.js';
import type { ConfChange, ConfState, Entry } from '../../src/raft/types.js';

const log = (from: number, terms: number[]): Entry[] =>
  terms.map((term, i) => ({ index: from + i, term, type: 'normal', data: new Uint8Array(0) }));
const indexes = (r: { entries: Entry[] }): number[] => r.entries.map((e) => e.index);

test('the suffix is kept when the log holds the snapshot index with the snapshot term', () => {
  const r = logAfterSnapshot(log(3, [1, 2, 2, 3, 3]), 5, 2); // index 5 has term 2
  assert.deepEqual(indexes(r), [6, 7]);
  assert.equal(r.dropped, false);
});

test('the suffix is dropped when the term at the snapshot index differs', () => {
  const r = logAfterSnapshot(log(3, [1, 2, 2, 3, 3]), 5, 4);
  assert.deepEqual(indexes(r), []);
  assert.equal(r.dropped, true);
});

test('a log starting right after the snapshot (compacted or reset there) is kept', () => {
  const r = logAfterSnapshot(log(6, [2, 3]), 5, 2);
  assert.deepEqual(indexes(r), [6, 7]);
  assert.equal(r.dropped, false);
});

test('a log starting past the snapshot, or ending before it, is dropped', () => {
  assert.deepEqual(logAfterSnapshot(log(8, [3, 3]), 5, 2), { entries: [], dropped: true });
  assert.deepEqual(logAfterSnapshot(log(1, [1, 1]), 5, 2), { entries: [], dropped: true });
});

test('a log ending at the snapshot, an empty log, and no snapshot change nothing', () => {
  assert.deepEqual(logAfterSnapshot(log(3, [1, 2, 2]), 5, 2), { entries: [], dropped: false });
  assert.deepEqual(logAfterSnapshot([], 5, 2), { entries: [], dropped: false });
  assert.deepEqual(indexes(logAfterSnapshot(log(1, [1, 1]), 0, 0)), [1, 2]);
});

const conf = (...voters: string[]): ConfState => ({ voters, learners: [] });
const change = (index: number, type: ConfChange['type'], node: string): Entry => ({
  index,
  term: 1,
  type: 'conf-change',
  data: encodeConfChange({ type, node, context: new Uint8Array(0) }),
});
/**
 * A loaded state: a bootstrap record (snapshot index 0) or a snapshot, the
 * log after it, the applied index, the durable commit index (at least applied).
 */
const loaded = (
  first: ConfState,
  snapshotIndex: number,
  entries: Entry[],
  applied: number,
  commit = applied,
): LoadedRaftState => ({
  persisted: {
    hardState: { term: 1, vote: null, commit },
    snapshot:
      snapshotIndex === 0
        ? null
        : { metadata: { index: snapshotIndex, term: 1, conf: first }, data: null },
    entries,
    initialConf: snapshotIndex === 0 ? first : conf(),
  },
  applied,
  appliedTerm: 1,
  snapshotIndex,
  snapshotImage: false,
  book: new Map(),
});

test('a node that joined is not yet a member until it applies the change that adds it', () => {
  const joinedWith = conf('n1', 'n2', 'n3');
  assert.equal(wasMember('n4', loaded(joinedWith, 0, [], 0)), false);
  // Received, not known committed.
  assert.equal(wasMember('n4', loaded(joinedWith, 0, [change(1, 'add-learner', 'n4')], 0)), false);
  // A snapshot from before its admission lacks it too.
  assert.equal(wasMember('n4', loaded(joinedWith, 7, [change(8, 'add-learner', 'n4')], 7)), false);
  assert.equal(wasMember('n4', loaded(joinedWith, 0, [change(1, 'add-learner', 'n3')], 1)), false);
});

test('a node that was a member still was after its removal', () => {
  const log = [
    change(1, 'add-learner', 'n4'),
    change(2, 'add-voter', 'n4'),
    change(3, 'remove', 'n4'),
  ];
  assert.equal(wasMember('n4', loaded(conf('n1', 'n2', 'n3'), 0, log, 1)), true);
  assert.equal(wasMember('n4', loaded(conf('n1', 'n2', 'n3'), 0, log, 3)), true);
  // In the first membership (--peers), or in a snapshot's.
  assert.equal(wasMember('n1', loaded(conf('n1', 'n2'), 0, [change(1, 'remove', 'n1')], 1)), true);
  assert.equal(
    wasMember('n4', loaded(conf('n1', 'n4'), 9, [change(10, 'remove', 'n4')], 10)),
    true,
  );
});

test('a change committed before a restart counts though the engine had not yet stored its apply', () => {
  // The engine commits applies about once a second; the first Ready replays
  // the log through the durable commit index, adding and then removing n4.
  const log = [
    change(1, 'add-learner', 'n4'),
    change(2, 'add-voter', 'n4'),
    change(3, 'remove', 'n4'),
  ];
  assert.equal(wasMember('n4', loaded(conf('n1', 'n2', 'n3'), 0, log, 0, 3)), true);
  assert.equal(wasMember('n4', loaded(conf('n1', 'n2', 'n3'), 0, log, 0, 1)), true);
  assert.equal(wasMember('n4', loaded(conf('n1', 'n2', 'n3'), 0, log, 0, 0)), false);
});
