import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, NodeId } from '../../src/raft/types.js';
import { Cluster, bytes } from '../helpers/raft-cluster.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * a leads b and c (or more), thriftyReadIndex; `asked()` says which
 * followers read rounds' heartbeats went to since the last call. Messages
 * to a follower in `slow` are held (it is alive but does not answer yet).
 */
function hedging(ids: NodeId[] = ['a', 'b', 'c']): {
  c: Cluster;
  asked: () => NodeId[];
  slow: Set<NodeId>;
  held: Message[];
} {
  const c = new Cluster(ids, { thriftyReadIndex: true });
  c.elect('a');
  c.stabilize();
  let to: NodeId[] = [];
  const slow = new Set<NodeId>();
  const held: Message[] = [];
  c.drop = (m: Message) => {
    if (m.type === 'heartbeat' && (m.context?.length ?? 0) > 0) to.push(m.to);
    if (!slow.has(m.to)) return false;
    held.push(m);
    return true;
  };
  const asked = (): NodeId[] => {
    const out = [...new Set(to)].sort();
    to = [];
    return out;
  };
  return { c, asked, slow, held };
}

function read(c: Cluster, context: string): void {
  c.node('a').readIndex(bytes(context));
  c.stabilize();
}

const served = (c: Cluster): string[] => c.peer('a').readStates.map((r) => text(r.context));

/** r1 goes to every follower; r2 to the one that answered r1 first, returned. */
function twoRounds(c: Cluster, asked: () => NodeId[]): NodeId {
  read(c, 'r1');
  asked();
  read(c, 'r2');
  const [first, ...more] = asked();
  assert.ok(first !== undefined && more.length === 0, 'r2 was asked of one follower');
  return first;
}

describe('raft ReadIndex, hedged thrifty rounds', () => {
  it('a round held by its slow follower is asked of the others; their answer completes it', () => {
    const { c, asked, slow, held } = hedging();
    const first = twoRounds(c, asked);
    const other = first === 'b' ? 'c' : 'b';
    slow.add(first);
    read(c, 'r3');
    assert.deepEqual(asked(), [first]);
    assert.deepEqual(served(c), ['r1', 'r2'], 'r3 waits for its slow follower');
    const seq = c.node('a').readRoundToHedge();
    assert.notEqual(seq, null, 'r3 is a round to hedge');
    c.node('a').hedgeReadRound(seq as number);
    c.stabilize();
    assert.deepEqual(asked(), [other], 'the hedge asks only the follower r3 did not ask');
    assert.deepEqual(served(c), ['r1', 'r2', 'r3'], "the other follower's answer completes r3");
    assert.equal(c.node('a').readRoundToHedge(), null);
    read(c, 'r4');
    assert.deepEqual(asked(), [other], 'the follower that answered asks the next round');
    assert.deepEqual(served(c), ['r1', 'r2', 'r3', 'r4']);
    // The slow follower's late answer changes nothing.
    slow.clear();
    for (const m of held.splice(0)) c.deliver(m);
    c.stabilize();
    asked();
    read(c, 'r5');
    assert.deepEqual(asked(), [other]);
    assert.deepEqual(served(c), ['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('one hedge completes every round pending before it', () => {
    const { c, asked, slow } = hedging();
    const first = twoRounds(c, asked);
    slow.add(first);
    read(c, 'r3');
    const seq = c.node('a').readRoundToHedge();
    read(c, 'r4');
    assert.equal(c.node('a').readRoundToHedge(), seq, 'the oldest is named');
    c.node('a').hedgeReadRound(seq as number);
    c.stabilize();
    assert.deepEqual(served(c), ['r1', 'r2', 'r3', 'r4']);
  });

  it('of five, the hedge asks the two followers the round did not ask', () => {
    const { c, asked, slow } = hedging(['a', 'b', 'c', 'd', 'e']);
    read(c, 'r1');
    asked();
    read(c, 'r2');
    const two = asked();
    assert.equal(two.length, 2);
    slow.add(two[0] as NodeId);
    read(c, 'r3');
    assert.deepEqual(asked(), two);
    assert.deepEqual(served(c), ['r1', 'r2']);
    c.node('a').hedgeReadRound(c.node('a').readRoundToHedge() as number);
    c.stabilize();
    const rest = ['b', 'c', 'd', 'e'].filter((id) => !two.includes(id));
    assert.deepEqual(asked(), rest);
    assert.deepEqual(served(c), ['r1', 'r2', 'r3']);
  });

  it('is a no-op with no round pending, for a round answered, or one asked of all', () => {
    const { c, asked, slow } = hedging();
    assert.equal(c.node('a').readRoundToHedge(), null, 'no round pending');
    c.node('a').hedgeReadRound(1);
    c.stabilize();
    assert.deepEqual(asked(), []);

    // The first round goes to every follower: nothing to hedge.
    slow.add('b').add('c');
    c.node('a').readIndex(bytes('r1'));
    c.stabilize();
    assert.deepEqual(asked(), ['b', 'c']);
    assert.equal(c.node('a').readRoundToHedge(), null, 'r1 went to all');
    c.node('a').hedgeReadRound(1);
    c.stabilize();
    assert.deepEqual(asked(), [], 'nothing sent for a round asked of all');
    slow.clear();
    c.tick('a', 1);
    c.stabilize();
    asked();
    assert.deepEqual(served(c), ['r1']);

    // r2 goes to one follower and is answered before the hedge is due.
    read(c, 'r2');
    assert.equal(asked().length, 1);
    assert.deepEqual(served(c), ['r1', 'r2']);
    c.node('a').hedgeReadRound(2);
    c.stabilize();
    assert.deepEqual(asked(), [], 'nothing sent for an answered round');
  });

  it('is a no-op once the round was hedged, or the periodic heartbeat asked all', () => {
    const { c, asked, slow } = hedging();
    const first = twoRounds(c, asked);
    slow.add('b').add('c');
    read(c, 'r3');
    assert.deepEqual(asked(), [first]);
    const seq = c.node('a').readRoundToHedge() as number;
    c.node('a').hedgeReadRound(seq);
    c.stabilize();
    assert.equal(asked().length, 1, 'the hedge asks the other follower');
    c.node('a').hedgeReadRound(seq);
    c.stabilize();
    assert.deepEqual(asked(), [], 'a second hedge sends nothing');

    read(c, 'r4');
    asked();
    const seq4 = c.node('a').readRoundToHedge();
    assert.notEqual(seq4, null);
    c.tick('a', 1);
    c.stabilize();
    assert.deepEqual(asked(), ['b', 'c'], 'the heartbeat asks every follower');
    assert.equal(c.node('a').readRoundToHedge(), null);
    c.node('a').hedgeReadRound(seq4 as number);
    c.stabilize();
    assert.deepEqual(asked(), [], 'nothing sent after the heartbeat');
    assert.deepEqual(served(c), ['r1', 'r2']);
  });
});
