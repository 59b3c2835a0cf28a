// loadRaftState's rule for a log left behind a newer snapshot (a crash
// between an install's state-store commit and its log reset).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logAfterSnapshot } from '../../src/coordinator/replication/raft-disk.js';
import type { Entry } from '../../src/raft/types.js';

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
