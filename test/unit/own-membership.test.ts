// Whether a node outside its membership is joining or removed
// (src/coordinator/replication/own-membership.ts), told what ClusterNode
// tells it: the load, then every conf change applied (each with the
// membership after the whole batch, as the Raft driver reports them) and
// every snapshot installed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OwnMembership } from '../../src/coordinator/replication/own-membership.js';
import type { ConfChange, ConfState } from '../../src/raft/types.js';

const FIRST: ConfState = { voters: ['n1', 'n2', 'n3'], learners: [] };
const WITH_N4: ConfState = { voters: ['n1', 'n2', 'n3'], learners: ['n4'] };

function change(type: ConfChange['type'], node: string): ConfChange {
  return { type, node, context: new Uint8Array(0) };
}

/** What ClusterNode does when a Ready's conf changes take effect: each change, then the membership. */
function applyBatch(own: OwnMembership, changes: ConfChange[], after: ConfState): void {
  for (const cc of changes) {
    own.noteChange(cc);
    own.noteConf(after);
  }
}

test('a node that joined waits, outside its first membership, until the change that adds it arrives', () => {
  const own = new OwnMembership('n4');
  own.loaded(false);
  own.noteConf(FIRST);
  assert.equal(own.removedFrom(FIRST), false);
  applyBatch(own, [change('add-learner', 'n4')], WITH_N4);
  assert.equal(own.removedFrom(WITH_N4), false);
});

test('a node that joined and learns of its addition and removal in one batch is removed', () => {
  const own = new OwnMembership('n4');
  own.loaded(false);
  own.noteConf(FIRST);
  // Both take effect at one advance(): the membership after them never shows n4.
  applyBatch(own, [change('add-learner', 'n4'), change('remove', 'n4')], FIRST);
  assert.equal(own.removedFrom(FIRST), true);
});

test('a node removed after its addition took effect is removed', () => {
  const own = new OwnMembership('n4');
  own.loaded(false);
  applyBatch(own, [change('add-learner', 'n4')], WITH_N4);
  applyBatch(own, [change('remove', 'n4')], FIRST);
  assert.equal(own.removedFrom(FIRST), true);
});

test('changes of other nodes say nothing about this one', () => {
  const own = new OwnMembership('n4');
  own.loaded(false);
  applyBatch(own, [change('add-learner', 'n5'), change('remove', 'n5')], FIRST);
  assert.equal(own.removedFrom(FIRST), false);
});

test('the load decides anew: its Raft state says whether the node was ever a member', () => {
  const own = new OwnMembership('n4');
  own.loaded(true);
  assert.equal(own.removedFrom(FIRST), true);
  own.loaded(false); // e.g. the engine restarted on a data dir that never had it
  assert.equal(own.removedFrom(FIRST), false);
  assert.equal(own.removedFrom({ voters: [], learners: [] }), false);
});

test('a joining node the leader says is no member is removed until it is told otherwise or added', () => {
  const own = new OwnMembership('n4');
  own.loaded(false);
  own.noteConf(FIRST);
  assert.equal(own.outsideNeverMember(FIRST), true);
  own.noteLeaderAnswer(false);
  assert.equal(own.removedFrom(FIRST), true);
  assert.equal(own.toldOut, true);
  own.noteLeaderAnswer(true); // added again: the log that adds it is on its way
  assert.equal(own.removedFrom(FIRST), false);
  own.noteLeaderAnswer(false);
  applyBatch(own, [change('add-learner', 'n4')], WITH_N4);
  assert.equal(own.removedFrom(WITH_N4), false);
  assert.equal(own.toldOut, false);
  assert.equal(own.outsideNeverMember(WITH_N4), false);
});
