import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftLog } from '../../src/raft/log.js';
import type { Entry } from '../../src/raft/types.js';

const entry = (index: number, term: number, bytes = 0): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(bytes),
});

/** A log holding entries 1..n with the given terms, all committed up to `commit`. */
function logWith(terms: number[], commit = 0): RaftLog {
  const entries = terms.map((t, i) => entry(i + 1, t));
  return new RaftLog(
    {
      hardState: { term: Math.max(0, ...terms), vote: null, commit },
      snapshot: null,
      entries,
      initialConf: { voters: ['a'], learners: [] },
    },
    0,
  );
}

describe('raft log', () => {
  it('finds the last index at or below a probe whose term is at most a given term', () => {
    const log = logWith([1, 1, 2, 2, 4, 4, 4]);
    assert.deepEqual(log.findConflictByTerm(7, 4), { index: 7, term: 4 });
    assert.deepEqual(log.findConflictByTerm(7, 3), { index: 4, term: 2 });
    assert.deepEqual(log.findConflictByTerm(7, 2), { index: 4, term: 2 });
    assert.deepEqual(log.findConflictByTerm(7, 1), { index: 2, term: 1 });
    assert.deepEqual(log.findConflictByTerm(9, 9), { index: 7, term: 4 }, 'probe beyond the end');
    assert.deepEqual(log.findConflictByTerm(7, 0), { index: 0, term: 0 });
  });

  it('appends after a matching entry, truncating only a conflicting suffix', () => {
    const log = logWith([1, 1, 1, 1]);
    assert.equal(log.maybeAppend(2, 2, 0, [entry(3, 2)]), null, 'no entry 2 at term 2');
    assert.equal(log.maybeAppend(2, 1, 0, [entry(3, 1)]), 3, 'already there: nothing changes');
    assert.equal(log.lastIndex(), 4);
    assert.equal(log.maybeAppend(2, 1, 3, [entry(3, 2)]), 3);
    assert.deepEqual([log.lastIndex(), log.lastTerm(), log.committed, log.stabled], [3, 2, 3, 2]);
  });

  it('slices by payload bytes, always returning at least one entry', () => {
    const log = new RaftLog(
      {
        hardState: { term: 1, vote: null, commit: 0 },
        snapshot: null,
        entries: [entry(1, 1, 5), entry(2, 1, 5), entry(3, 1, 5)],
        initialConf: { voters: ['a'], learners: [] },
      },
      0,
    );
    assert.equal(log.slice(1, 3, 10).length, 2);
    assert.equal(log.slice(1, 3, 1).length, 1);
    assert.equal(log.slice(1, 3).length, 3);
  });

  it('compacts to a snapshot and answers terms only inside what it holds', () => {
    const log = logWith([1, 1, 2, 2], 4);
    log.compact({
      metadata: { index: 3, term: 2, conf: { voters: ['a'], learners: [] } },
      data: new Uint8Array(),
    });
    assert.deepEqual([log.firstIndex(), log.lastIndex()], [4, 4]);
    assert.equal(log.term(2), undefined);
    assert.equal(log.term(3), 2);
    assert.equal(log.term(4), 2);
    assert.equal(log.term(5), undefined);
    assert.ok(log.isUpToDate(4, 2));
    assert.ok(!log.isUpToDate(3, 2));
    assert.ok(log.isUpToDate(1, 3));
  });
});
