import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, NodeId } from '../../src/raft/types.js';
import { Cluster, bytes } from '../helpers/raft-cluster.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A cluster led by a, with thriftyReadIndex, and the followers each read round's heartbeats went to. */
function thrifty(ids: NodeId[]): { c: Cluster; asked: () => NodeId[] } {
  const c = new Cluster(ids, { thriftyReadIndex: true });
  c.elect('a');
  c.stabilize();
  let to: NodeId[] = [];
  c.drop = (m: Message) => {
    if (m.type === 'heartbeat' && (m.context?.length ?? 0) > 0) to.push(m.to);
    return false;
  };
  const asked = (): NodeId[] => {
    const out = [...new Set(to)].sort();
    to = [];
    return out;
  };
  return { c, asked };
}

function read(c: Cluster, context: string): void {
  c.node('a').readIndex(bytes(context));
  c.stabilize();
}

/** Reads r1 (asked of all) and r2 (asked of one, `first`), of a, b and c led by a. */
function twoRounds(c: Cluster, asked: () => NodeId[]): { first: NodeId; other: NodeId } {
  read(c, 'r1');
  asked();
  read(c, 'r2');
  const [first, ...more] = asked();
  assert.ok(first !== undefined && more.length === 0, 'r2 was asked of one follower');
  return { first, other: first === 'b' ? 'c' : 'b' };
}

const served = (c: Cluster): string[] => c.peer('a').readStates.map((r) => text(r.context));

describe('raft ReadIndex, thrifty (a round asks a quorum, not every follower)', () => {
  it('the first round asks every follower; the next asks only the one that answered first', () => {
    const { c, asked } = thrifty(['a', 'b', 'c']);
    read(c, 'r1');
    assert.deepEqual(asked(), ['b', 'c']);
    assert.deepEqual(served(c), ['r1']);
    read(c, 'r2');
    const second = asked();
    assert.equal(second.length, 1, `r2 asked ${second.join(', ')}`);
    assert.deepEqual(served(c), ['r1', 'r2']);
  });

  it('a follower that stops answering holds one round until the heartbeat, which asks all', () => {
    const { c, asked } = thrifty(['a', 'b', 'c']);
    const { first, other } = twoRounds(c, asked);
    const record = c.drop;
    c.drop = (m) => record(m) || m.to === first || m.from === first;
    read(c, 'r3');
    assert.deepEqual(asked(), [first]);
    assert.deepEqual(served(c), ['r1', 'r2'], 'r3 waits: its only follower is gone');
    c.tick('a', 1);
    c.stabilize();
    assert.deepEqual(asked(), [first, other].sort(), 'the heartbeat goes to every follower');
    assert.deepEqual(served(c), ['r1', 'r2', 'r3']);
    read(c, 'r4');
    assert.deepEqual(asked(), [other], 'the follower that answered asks the next round');
    assert.deepEqual(served(c), ['r1', 'r2', 'r3', 'r4']);
  });

  it('of five, a round asks two followers', () => {
    const { c, asked } = thrifty(['a', 'b', 'c', 'd', 'e']);
    read(c, 'r1');
    assert.deepEqual(asked(), ['b', 'c', 'd', 'e']);
    read(c, 'r2');
    assert.equal(asked().length, 2);
    assert.deepEqual(served(c), ['r1', 'r2']);
  });

  it('a follower removed from the membership is not asked: the round goes to all', () => {
    const { c, asked } = thrifty(['a', 'b', 'c']);
    const { first, other } = twoRounds(c, asked);
    c.node('a').proposeConfChange({ type: 'remove', node: first, context: new Uint8Array() });
    c.stabilize();
    assert.ok(!c.node('a').status().conf.voters.includes(first));
    asked();
    read(c, 'r3');
    assert.deepEqual(asked(), [other], 'the removed follower is not asked');
    assert.deepEqual(served(c), ['r1', 'r2', 'r3']);
  });
});
