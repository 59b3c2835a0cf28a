import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from '../helpers/raft-cluster.js';

describe('raft leadership transfer', () => {
  it('hands leadership to an up-to-date follower at once', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').transferLeader('b');
    c.stabilize();
    assert.deepEqual(c.leaders(), ['b']);
    assert.equal(c.node('b').status().term, 2);
    assert.equal(c.node('a').status().leader, 'b');
  });

  it('says timeout-now again with the next heartbeat when the target did not act on it', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    // The first one is lost (or ignored: a voter whose promotion it has not applied yet).
    let dropped = 0;
    c.drop = (m) => m.type === 'timeout-now' && dropped++ === 0;
    c.node('a').transferLeader('b');
    c.stabilize();
    assert.equal(dropped, 1);
    assert.deepEqual(c.leaders(), ['a']);
    c.tickAll(1);
    assert.deepEqual(c.leaders(), ['b']);
  });

  it('catches a lagging target up first, refusing proposals meanwhile', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 5; i++) c.propose('a', `v${i}`);
    c.stabilize();
    c.heal();
    c.node('a').transferLeader('c');
    assert.equal(c.node('a').status().leadTransferee, 'c');
    assert.deepEqual(c.propose('a', 'refused'), {
      ok: false,
      reason: 'transfer-in-progress',
      leader: 'a',
    });
    c.stabilize();
    assert.deepEqual(c.leaders(), ['c']);
    assert.deepEqual(c.peer('c').state, ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('abandons a transfer that does not finish within an election timeout', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.node('a').transferLeader('c');
    c.tickAll(9);
    assert.equal(c.node('a').status().leadTransferee, 'c');
    c.tickAll(1);
    assert.equal(c.node('a').status().leadTransferee, null);
    assert.ok(c.propose('a', 'x').ok);
    assert.deepEqual(c.leaders(), ['a']);
  });

  it('ignores a transfer to itself, a learner, or from a follower', () => {
    const c = new Cluster(['a', 'b'], {}, ['l']);
    c.elect('a');
    c.node('a').transferLeader('a');
    c.node('a').transferLeader('l');
    c.node('b').transferLeader('b');
    assert.equal(c.node('a').status().leadTransferee, null);
    c.stabilize();
    assert.deepEqual(c.leaders(), ['a']);
  });

  it('the target campaigns through a follower lease (the vote request carries the transfer)', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.tickAll(2); // everyone heard from a within the lease
    c.node('a').transferLeader('c');
    c.stabilize();
    assert.deepEqual(c.leaders(), ['c']);
  });

  it('a leader that lost its storage hands over to a caught-up voter at once', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    for (let i = 0; i < 3; i++) c.propose('a', `v${i}`);
    c.stabilize();
    const m = c.node('a').handOver();
    assert.equal(m?.type, 'timeout-now');
    assert.equal(m?.term, 1);
    // The message leaves outside any Ready; the old leader is silent from then on.
    c.deliver(m!);
    c.isolate('a');
    c.stabilize();
    const target = c.node(m!.to).status();
    assert.equal(target.role, 'leader');
    assert.equal(target.term, 2);
    assert.deepEqual(c.peer(m!.to).state, ['v0', 'v1', 'v2']);
  });

  it('hands over to none until a voter has acknowledged every entry sent', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'in flight');
    c.flush(); // sent, not yet acknowledged
    assert.equal(c.node('a').handOver(), null);
    c.stabilize();
    assert.equal(c.node('a').handOver()?.type, 'timeout-now');
  });

  it('does not wait for entries proposed since the last Ready: they were sent to no one', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'unsent');
    const m = c.node('a').handOver();
    assert.equal(m?.type, 'timeout-now');
    c.deliver(m!);
    c.isolate('a');
    c.stabilize();
    assert.equal(c.node(m!.to).status().role, 'leader');
  });

  it('hands over neither to a learner nor from a follower', () => {
    const c = new Cluster(['a', 'b'], {}, ['l']);
    c.elect('a');
    c.isolate('b');
    c.propose('a', 'x');
    c.stabilize();
    assert.equal(c.node('a').handOver(), null, 'only the learner holds the last entry');
    assert.equal(c.node('b').handOver(), null);
  });
});
