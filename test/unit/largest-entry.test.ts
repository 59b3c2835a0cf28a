import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LargestEntry } from '../../src/coordinator/replication/largest-entry.js';
import type { Entry } from '../../src/raft/types.js';

const entry = (index: number, bytes: number): Entry => ({
  index,
  term: 1,
  type: 'normal',
  data: new Uint8Array(bytes),
});

describe('LargestEntry', () => {
  it('is the largest entry since the last compaction', () => {
    const l = new LargestEntry();
    assert.equal(l.bytes, 0);
    l.appended([entry(1, 10), entry(2, 500), entry(3, 30), entry(4, 200), entry(5, 20)]);
    assert.equal(l.bytes, 500);
    l.compacted(1);
    assert.equal(l.bytes, 500);
    l.compacted(2);
    assert.equal(l.bytes, 200);
    l.compacted(4);
    assert.equal(l.bytes, 20);
    l.compacted(5);
    assert.equal(l.bytes, 0);
    l.appended([entry(6, 7)]);
    assert.equal(l.bytes, 7);
    l.clear();
    assert.equal(l.bytes, 0);
  });

  it('matches the maximum over the log for any appends and compactions', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const l = new LargestEntry();
    const log: Entry[] = [];
    let next = 1;
    for (let step = 0; step < 2000; step++) {
      if (rand(4) === 0 && log.length > 0) {
        const upTo = (log[rand(log.length)] as Entry).index;
        l.compacted(upTo);
        while (log.length > 0 && (log[0] as Entry).index <= upTo) log.shift();
      } else {
        const batch = Array.from({ length: 1 + rand(5) }, () => entry(next++, rand(1000)));
        l.appended(batch);
        log.push(...batch);
      }
      assert.equal(l.bytes, Math.max(0, ...log.map((e) => e.data.length)), `step ${step}`);
    }
  });

  it('never counts less than a log whose suffix was replaced', () => {
    const l = new LargestEntry();
    l.appended([entry(1, 40), entry(2, 60)]);
    l.appended([entry(2, 10)]); // a new leader's entry at index 2
    assert.ok(l.bytes >= 40);
  });
});
