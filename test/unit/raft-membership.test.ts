import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfChange } from '../../src/raft/types.js';
import { Cluster } from '../helpers/raft-cluster.js';

const cc = (type: ConfChange['type'], node: string): ConfChange => ({
  type,
  node,
  context: new Uint8Array(),
});

describe('raft membership changes', () => {
  it('adds a learner, replicates to it, then promotes it to voter', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    assert.ok(c.node('a').proposeConfChange(cc('add-learner', 'd')).ok);
    c.stabilize();
    c.addPeer('d', ['a', 'b', 'c']);
    c.tickAll(2);
    assert.deepEqual(c.node('a').status().conf, { voters: ['a', 'b', 'c'], learners: ['d'] });
    assert.deepEqual(c.node('d').status().conf, { voters: ['a', 'b', 'c'], learners: ['d'] });
    assert.deepEqual(c.peer('d').state, ['x']);
    // A learner's ack does not count: with b and c away nothing commits.
    c.drop = (m) => m.to === 'b' || m.to === 'c';
    c.propose('a', 'y');
    c.stabilize();
    assert.deepEqual(c.peer('a').state, ['x']);
    c.heal();
    c.tickAll(1);
    assert.ok(c.node('a').proposeConfChange(cc('add-voter', 'd')).ok);
    c.stabilize();
    assert.deepEqual(c.node('d').status().conf, { voters: ['a', 'b', 'c', 'd'], learners: [] });
    // Four voters: a, d and one more make a quorum; a and d alone do not.
    c.drop = (m) => m.to === 'b' || m.to === 'c';
    c.propose('a', 'z');
    c.stabilize();
    assert.ok(!c.peer('a').state.includes('z'));
    c.drop = (m) => m.to === 'c';
    c.tickAll(1);
    assert.ok(c.peer('a').state.includes('z'));
  });

  it('removes a follower; the rest commit without it', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.ok(c.node('a').proposeConfChange(cc('remove', 'c')).ok);
    c.stabilize();
    assert.deepEqual(c.node('a').status().conf, { voters: ['a', 'b'], learners: [] });
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    assert.deepEqual(c.peer('b').state, ['x']);
    assert.equal(c.node('a').status().progress?.c, undefined);
  });

  it('a removal that shrinks the quorum commits what the smaller quorum holds at once', () => {
    const c = new Cluster(['a', 'b', 'c', 'd']);
    c.elect('a');
    // d is gone; c never gets x; at first c's answers are lost too.
    let cSilent = true;
    c.drop = (m) => {
      if (m.to === 'c') m.entries = m.entries.filter((e) => e.index < 3);
      return m.to === 'd' || m.from === 'd' || (cSilent && m.from === 'c');
    };
    assert.ok(c.node('a').proposeConfChange(cc('remove', 'd')).ok); // index 2
    c.stabilize();
    assert.ok(c.propose('a', 'x').ok); // index 3, on a and b: 2 of 4
    c.stabilize();
    assert.deepEqual(c.peer('a').state, []);
    cSilent = false;
    c.tickAll(1); // c acks the removal: committed by a, b, c of 4, then applied
    assert.deepEqual(c.node('a').status().conf.voters, ['a', 'b', 'c']);
    // Now x is on 2 of 3 voters: committed without waiting for another answer.
    assert.deepEqual(c.peer('a').state, ['x']);
  });

  it('allows one change in flight at a time', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.ok(c.node('a').proposeConfChange(cc('add-learner', 'd')).ok);
    assert.deepEqual(c.node('a').proposeConfChange(cc('add-learner', 'e')), {
      ok: false,
      reason: 'conf-change-in-progress',
      leader: 'a',
    });
    c.stabilize();
    assert.ok(c.node('a').proposeConfChange(cc('add-learner', 'e')).ok);
  });

  it('a new leader accepts no change before an entry of its own term is applied', () => {
    const d = new Cluster(['a', 'b', 'c']);
    d.drop = (m) => m.type === 'append';
    d.elect('a');
    assert.equal(d.node('a').status().role, 'leader');
    assert.deepEqual(d.node('a').proposeConfChange(cc('add-learner', 'd')), {
      ok: false,
      reason: 'conf-change-in-progress',
      leader: 'a',
    });
    d.heal();
    d.tickAll(1);
    assert.ok(d.node('a').proposeConfChange(cc('add-learner', 'd')).ok);
  });

  it('a removed leader steps down and the rest elect a new one', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.ok(c.node('a').proposeConfChange(cc('remove', 'a')).ok);
    c.stabilize();
    assert.equal(c.node('a').status().role, 'follower');
    c.tickAll(40);
    const leaders = c.leaders();
    assert.equal(leaders.length, 1);
    assert.notEqual(leaders[0], 'a');
    assert.deepEqual(c.node('b').status().conf, { voters: ['b', 'c'], learners: [] });
  });

  it('refuses changes that make no sense for the membership, with the reason', () => {
    const c = new Cluster(['a', 'b']);
    c.elect('a');
    const n = c.node('a');
    assert.throws(() => n.proposeConfChange(cc('add-voter', 'b')), /already a voter/);
    assert.throws(() => n.proposeConfChange(cc('remove', 'z')), /not a member/);
    assert.throws(() => n.proposeConfChange(cc('add-voter', '')), /non-empty/);
    assert.deepEqual(c.node('b').proposeConfChange(cc('add-voter', 'b')), {
      ok: false,
      reason: 'not-leader',
      leader: 'a',
    });
    const single = new Cluster(['a']);
    single.elect('a');
    assert.throws(() => single.node('a').proposeConfChange(cc('remove', 'a')), /only voter/);
  });

  it('a demoted voter becomes a learner', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.ok(c.node('a').proposeConfChange(cc('add-learner', 'c')).ok);
    c.stabilize();
    assert.deepEqual(c.node('c').status().conf, { voters: ['a', 'b'], learners: ['c'] });
    c.tick('c', 100);
    assert.notEqual(c.node('c').status().role, 'pre-candidate');
  });

  it('a restarted node replays the applied changes of its log', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').proposeConfChange(cc('add-learner', 'd'));
    c.stabilize();
    c.peer('b').restart();
    c.stabilize(); // applies the log again, conf changes included
    assert.deepEqual(c.node('b').status().conf, { voters: ['a', 'b', 'c'], learners: ['d'] });
  });
});
