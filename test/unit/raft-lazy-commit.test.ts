import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfChange } from '../../src/raft/types.js';
import { bytes, Cluster } from '../helpers/raft-cluster.js';

const lazy = { lazyCommitBroadcast: true };
const emptyAppends = (c: Cluster): number =>
  c.delivered.filter((m) => m.type === 'append' && m.entries.length === 0).length;
const commitOf = (c: Cluster, id: string): number => c.node(id).status().commit;

describe('raft lazy commit broadcast', () => {
  it('followers learn a commit with the next append, not from an append of its own', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.delivered = [];
    c.propose('a', 'y');
    c.stabilize();
    assert.equal(commitOf(c, 'a'), 3);
    assert.equal(emptyAppends(c), 0, 'no commit-only append');
    assert.equal(commitOf(c, 'b'), 2, 'b knows the commit of x only');
    assert.deepEqual(c.peer('b').state, ['x']);
    c.propose('a', 'z');
    c.stabilize();
    assert.equal(commitOf(c, 'b'), 3, 'the append of z carried the commit of y');
    assert.deepEqual(c.peer('b').state, ['x', 'y']);
  });

  it('an idle follower learns the commit from the next heartbeat', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    assert.deepEqual(c.peer('c').state, []);
    c.tickAll(1);
    assert.deepEqual(c.peer('c').state, ['x']);
    assert.equal(commitOf(c, 'c'), commitOf(c, 'a'));
  });

  it('sendCommit tells the followers a commit no append carried, once', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    const leader = c.node('a');
    assert.deepEqual(c.peer('c').state, []);
    assert.equal(leader.commitUnsent(), true);
    c.delivered = [];
    leader.sendCommit(leader.committed());
    c.stabilize();
    assert.deepEqual(c.peer('b').state, ['x'], 'applied without waiting for a heartbeat');
    assert.deepEqual(c.peer('c').state, ['x']);
    assert.equal(emptyAppends(c), 2);
    assert.equal(leader.commitUnsent(), false);
    c.delivered = [];
    leader.sendCommit(leader.committed());
    c.stabilize();
    assert.equal(emptyAppends(c), 0, 'a follower told the commit is not told again');
  });

  it('a commit is flushed once: a follower that is down is not flushed to again until it moves', () => {
    // One append in flight per follower: c's window fills with x's, so nothing more is sent to it.
    const c = new Cluster(['a', 'b', 'c'], { ...lazy, maxInflightMsgs: 1 });
    c.elect('a');
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    const leader = c.node('a');
    assert.equal(leader.commitUnsent(), true);
    leader.sendCommit(leader.committed());
    c.stabilize();
    assert.equal(leader.commitUnsent(), false, 'c was not told, but it was flushed to');
    c.propose('a', 'y');
    c.stabilize();
    assert.equal(leader.commitUnsent(), true);
  });

  it('sendCommit sends nothing for a commit a later append carried', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    const leader = c.node('a');
    const ofX = leader.committed();
    c.propose('a', 'y'); // its append carries the commit of x
    c.stabilize();
    c.delivered = [];
    leader.sendCommit(ofX);
    c.stabilize();
    assert.equal(emptyAppends(c), 0);
    assert.deepEqual(c.peer('b').state, ['x']);
  });

  it('a heartbeat counts as telling the commit it carries', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.tickAll(1);
    assert.equal(c.node('a').commitUnsent(), false);
  });

  it('without it, the leader sends the commit at once (etcd)', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    assert.ok(emptyAppends(c) > 0);
    assert.deepEqual(c.peer('b').state, ['x']);
  });

  it('the Ready that commits a membership change tells the followers at once', () => {
    const c = new Cluster(['a', 'b', 'c'], lazy);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    const cc: ConfChange = { type: 'add-learner', node: 'd', context: new Uint8Array() };
    const proposed = c.node('a').proposeConfChange(cc);
    assert.ok(proposed.ok);
    for (const m of c.peer('a').handleReady()) c.deliver(m);
    for (const m of [...c.peer('b').handleReady(), ...c.peer('c').handleReady()]) c.deliver(m);
    const rd = c.node('a').ready();
    assert.ok(rd.committedEntries.some((e) => e.type === 'conf-change'));
    for (const to of ['b', 'c']) {
      assert.ok(
        rd.messages.some((m) => m.type === 'append' && m.to === to && m.commit >= proposed.index),
        `no append to ${to} carries the commit of the change`,
      );
    }
  });

  it("a follower's read index, answered on the lease, comes with the commit it must apply", () => {
    const c = new Cluster(['a', 'b', 'c'], { ...lazy, readOnlyOption: 'lease' });
    c.tickAll(30); // a lease-reading node helps no election for its first election timeout
    const [leader] = c.leaders();
    const follower = ['a', 'b', 'c'].find((id) => id !== leader)!;
    c.propose(leader!, 'x');
    c.stabilize();
    const index = commitOf(c, leader!);
    assert.deepEqual(c.peer(follower).state, [], 'it has not learnt the commit of x');
    c.node(follower).readIndex(bytes('r1'));
    c.stabilize();
    const rs = c.peer(follower).readStates;
    assert.equal(rs.length, 1);
    assert.equal(rs[0]?.index, index);
    assert.equal(c.peer(follower).appliedIndex, index, 'applied through its read index, no tick');
    assert.deepEqual(c.peer(follower).state, ['x']);
  });
});
