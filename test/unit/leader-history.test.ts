import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LEADER_HISTORY_SIZE,
  LeaderHistory,
} from '../../src/coordinator/replication/leader-history.js';

test('only changes of leader are kept, newest first, with the last known term when unknown', () => {
  const h = new LeaderHistory();
  h.note(null, 0, 50); // nothing known yet: not a change
  h.note('n1', 1, 100);
  h.note('n1', 1, 150); // a role change, same leader: not a change
  h.note(null, null, 200);
  h.note('n2', 3, 300);
  assert.deepEqual(h.recent(), [
    { at: 300, term: 3, leader: 'n2' },
    { at: 200, term: 1, leader: null },
    { at: 100, term: 1, leader: 'n1' },
  ]);
});

test('the history is bounded', () => {
  const h = new LeaderHistory();
  for (let i = 0; i < LEADER_HISTORY_SIZE + 5; i++) h.note(`n${i % 3}`, i, i);
  const recent = h.recent();
  assert.equal(recent.length, LEADER_HISTORY_SIZE);
  assert.equal(recent[0]?.term, LEADER_HISTORY_SIZE + 4);
});
