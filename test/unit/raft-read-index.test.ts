import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Message } from '../../src/raft/types.js';
import { Cluster, bytes, testConfig } from '../helpers/raft-cluster.js';

const ctx = (s: string): Uint8Array => bytes(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('raft ReadIndex', () => {
  it('safe: the leader answers only after a quorum acknowledged a heartbeat', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.drop = (m) => m.from === 'a';
    c.node('a').readIndex(ctx('r1'));
    c.stabilize();
    assert.deepEqual(c.peer('a').readStates, [], 'no quorum confirmed leadership yet');
    c.heal();
    c.tickAll(1);
    assert.equal(c.peer('a').readStates.length, 1);
    assert.equal(c.peer('a').readStates[0]?.index, 2);
    assert.equal(text(c.peer('a').readStates[0]?.context ?? new Uint8Array()), 'r1');
  });

  it('safe: one follower is not a quorum of five', () => {
    const c = new Cluster(['a', 'b', 'c', 'd', 'e']);
    c.elect('a');
    c.drop = (m) => m.from === 'a' && m.to !== 'b';
    c.node('a').readIndex(ctx('r1'));
    c.tickAll(1);
    assert.deepEqual(c.peer('a').readStates, [], 'a and b are two of five');
    c.drop = (m) => m.from === 'a' && m.to !== 'b' && m.to !== 'c';
    c.tickAll(1);
    assert.equal(c.peer('a').readStates.length, 1);
  });

  it('answers every earlier request with one quorum round', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    // r1's own heartbeat round is lost; r2's round confirms both.
    c.drop = (m) => m.type === 'heartbeat' && text(m.context ?? new Uint8Array()) === 'r1';
    c.node('a').readIndex(ctx('r1'));
    c.node('a').readIndex(ctx('r2'));
    c.stabilize();
    assert.deepEqual(
      c.peer('a').readStates.map((r) => text(r.context)),
      ['r1', 'r2'],
    );
  });

  it('a follower forwards the request to the leader and gets the read index back', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.node('c').readIndex(ctx('f1'));
    c.stabilize();
    assert.equal(c.peer('c').readStates.length, 1);
    assert.equal(c.peer('c').readStates[0]?.index, 2);
    assert.equal(text(c.peer('c').readStates[0]?.context ?? new Uint8Array()), 'f1');
  });

  it('a follower without a leader drops the request (the caller retries)', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.node('c').readIndex(ctx('f1'));
    c.stabilize();
    assert.deepEqual(c.peer('c').readStates, []);
  });

  it('a new leader holds reads until its own no-op is committed', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.drop = (m) => m.type === 'append-response';
    c.elect('a');
    c.node('a').readIndex(ctx('r1'));
    c.stabilize();
    assert.deepEqual(c.peer('a').readStates, []);
    c.heal();
    c.tickAll(2);
    assert.equal(c.peer('a').readStates.length, 1);
    assert.equal(c.peer('a').readStates[0]?.index, 1);
  });

  it('lease: the leader answers at once while a quorum confirmed it recently, then falls back', () => {
    const c = new Cluster(['a', 'b', 'c'], { readOnlyOption: 'lease' });
    c.tickAll(30);
    const [leader] = c.leaders();
    assert.ok(leader !== undefined);
    c.tickAll(1); // a heartbeat round answered by a quorum renews the lease
    c.isolate(leader);
    c.node(leader).readIndex(ctx('r1'));
    c.stabilize();
    assert.equal(c.peer(leader).readStates.length, 1, 'answered inside the lease, no round trip');
    c.tickAll(7); // lease = electionTick - 2 - 10% = 7 ticks after the confirmed round was sent
    c.node(leader).readIndex(ctx('r2'));
    c.stabilize();
    assert.equal(
      c.peer(leader).readStates.length,
      1,
      'lease expired: needs a quorum it cannot get',
    );
    // Its fallback is a safe round: the next heartbeat carries r2, and a quorum's answers confirm it.
    c.heal();
    c.tickAll(1);
    c.stabilize();
    assert.deepEqual(
      c.peer(leader).readStates.map((r) => text(r.context)),
      ['r1', 'r2'],
      'the round that confirmed the leader answers the request that waited for it',
    );
  });

  it('lease: a node that just started helps no election for one election timeout', () => {
    const c = new Cluster(['a', 'b', 'c'], { readOnlyOption: 'lease' });
    c.elect('a');
    assert.deepEqual(c.leaders(), [], 'b and c may have promised a lease before a restart');
    for (const id of ['b', 'c']) c.tick(id, 10);
    c.elect('a');
    assert.deepEqual(c.leaders(), ['a']);
  });

  it('keepLeaseAfterStart: a safe node that restarts helps no election while a lease leader may read on its promise', () => {
    // b and c read safe (as before --read-lease was turned on for them); a reads on the lease.
    const c = new Cluster(['a', 'b', 'c'], { keepLeaseAfterStart: true });
    c.addPeer('a', ['a', 'b', 'c'], { readOnlyOption: 'lease' });
    c.tickAll(10);
    c.elect('a');
    c.tickAll(1); // a quorum (a and b, or a and c) answered a round: a reads on its lease
    assert.deepEqual(c.leaders(), ['a']);
    c.isolate('a');
    c.node('a').readIndex(ctx('on the lease'));
    c.stabilize();
    assert.equal(c.peer('a').readStates.length, 1, 'a answers on its lease');
    // b restarts at once, forgetting a; c, cut off from a too, campaigns.
    c.peer('b').restart();
    c.node('c').campaign();
    c.stabilize();
    assert.deepEqual(c.leaders(), ['a'], 'b must not help elect c while a may read on its lease');
    // After its first election timeout b votes again: a's lease ran out meanwhile.
    c.tick('b', 10);
    c.node('c').campaign();
    c.stabilize();
    assert.ok(c.leaders().includes('c'), 'c is elected once b waited out an election timeout');
  });

  it('lease: a leader that began a transfer answers no read on its lease for the rest of its term', () => {
    const c = new Cluster(['a', 'b', 'c'], { readOnlyOption: 'lease' });
    c.elect('a');
    c.tickAll(10); // b and c may vote once their first election timeout passed
    c.elect('a');
    assert.deepEqual(c.leaders(), ['a']);
    // The transfer's timeout-now is delayed in the network (the first copy kept, all dropped).
    let delayed: Message | null = null;
    c.drop = (m) => {
      if (m.type !== 'timeout-now') return false;
      delayed ??= m;
      return true;
    };
    c.node('a').transferLeader('b');
    c.stabilize();
    assert.ok(delayed !== null, 'a told b to campaign');
    // After an election timeout a abandons the transfer; its heartbeats kept a quorum answering.
    c.tickAll(10);
    c.node('a').propose(bytes('after the transfer'));
    c.stabilize();
    assert.equal(c.node('a').status().role, 'leader');
    // The delayed copy arrives while a is cut off: b campaigns past c's lease and wins.
    c.isolate('a');
    c.node('b').step(delayed);
    c.stabilize();
    assert.equal(c.node('b').status().role, 'leader', 'b was elected');
    c.node('b').propose(bytes('written by b'));
    c.stabilize();
    // a still leads its old term, and its lease would still run: it must not answer on it.
    assert.equal(c.node('a').status().role, 'leader');
    c.node('a').readIndex(ctx('stale?'));
    c.stabilize();
    assert.deepEqual(c.peer('a').readStates, [], "a read on the lease would miss b's write");
  });

  it('lease reads without check-quorum are a configuration error', () => {
    assert.throws(
      () =>
        new RawNode(testConfig('a', { readOnlyOption: 'lease', checkQuorum: false }), {
          hardState: { term: 0, vote: null, commit: 0 },
          snapshot: null,
          entries: [],
          initialConf: { voters: ['a'], learners: [] },
        }),
      /lease' requires checkQuorum/,
    );
  });

  it('a single voter answers at once', () => {
    const c = new Cluster(['a']);
    c.elect('a');
    c.node('a').readIndex(ctx('r1'));
    c.stabilize();
    assert.equal(c.peer('a').readStates[0]?.index, 1);
  });
});

describe('raft ReadIndex heartbeats: one per follower and context in a Ready', () => {
  /**
   * After `act` on a (leading b and c, one round r0 done): the heartbeats
   * a's next Ready sends, as "<to> <context>", and the reads a served.
   */
  function round(
    thriftyReadIndex: boolean,
    act: (c: Cluster) => void,
  ): { sent: string[]; served: string[] } {
    const c = new Cluster(['a', 'b', 'c'], { thriftyReadIndex });
    c.elect('a');
    c.node('a').readIndex(ctx('r0')); // thrifty: the next round asks one follower
    c.stabilize();
    const p = c.peer('a');
    p.readies = [];
    act(c);
    c.stabilize();
    const sent = (p.readies[0]?.messages ?? [])
      .filter((m) => m.type === 'heartbeat')
      .map((m) => `${m.to} ${text(m.context ?? new Uint8Array())}`)
      .sort();
    return { sent, served: p.readStates.map((r) => text(r.context)) };
  }

  for (const thrifty of [false, true]) {
    it(`a read round, then the periodic heartbeat (thrifty ${thrifty})`, () => {
      const { sent, served } = round(thrifty, (c) => {
        c.node('a').readIndex(ctx('r1'));
        c.tick('a', 1); // heartbeatTick: the periodic heartbeat carries r1 too
      });
      assert.deepEqual(sent, ['b r1', 'c r1']);
      assert.deepEqual(served, ['r0', 'r1']);
    });

    it(`the periodic heartbeat, then a read round (thrifty ${thrifty})`, () => {
      const { sent, served } = round(thrifty, (c) => {
        c.tick('a', 1);
        c.node('a').readIndex(ctx('r1'));
      });
      // Thrifty, r1 asks one follower: its heartbeat replaces the plain one there.
      const asked = sent.filter((s) => s.endsWith(' r1'));
      assert.equal(sent.length, 2, sent.join(', '));
      assert.equal(asked.length, thrifty ? 1 : 2, sent.join(', '));
      assert.deepEqual(served, ['r0', 'r1']);
    });
  }

  it('two read rounds in one Ready each keep their heartbeats', () => {
    const { sent, served } = round(false, (c) => {
      c.node('a').readIndex(ctx('r1'));
      c.node('a').readIndex(ctx('r2'));
    });
    assert.deepEqual(sent, ['b r1', 'b r2', 'c r1', 'c r2']);
    assert.deepEqual(served, ['r0', 'r1', 'r2']);
  });
});
