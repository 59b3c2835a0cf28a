// A leader sends a snapshot whose data the application holds without ever
// holding it: offered by its size (offerSnapshot), each chunk is asked for
// (Ready.snapshotChunksWanted) as the follower needs it and sent once the
// application provides it (provideSnapshotChunk).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMessage } from '../../src/raft/message.js';
import { chunksTo, laggingFollower, type Cluster } from '../helpers/raft-cluster.js';

/** The lagging follower c answers; leader a offers its snapshot (index 21) by size. */
function offered(): Cluster {
  const c = laggingFollower(true);
  c.heal();
  c.tickAll(2);
  assert.equal(c.peer('a').offerSnapshot(), true);
  c.stabilize();
  return c;
}

/** Answers every chunk asked for until nothing is asked any more; returns the rounds taken. */
function provideAll(c: Cluster, most = Infinity): number {
  let rounds = 0;
  while (c.peer('a').chunksWanted.length > 0) {
    assert.ok(++rounds < 1000, 'the transfer never ends');
    assert.equal(c.peer('a').chunksWanted.length, 1, 'one chunk in flight');
    c.peer('a').provideChunks(most);
    c.stabilize();
  }
  return rounds;
}

describe('raft snapshots sent a chunk at a time from the application', () => {
  it('asks for one chunk at a time, sends each once provided, and holds none of the data', () => {
    const c = offered();
    const a = c.peer('a');
    const total = a.snapshot!.data.length;
    assert.equal(chunksTo(c, 'c').length, 0, 'nothing sent before a chunk is provided');
    assert.deepEqual(a.chunksWanted, [{ index: 21, offset: 0, length: 16 }]);
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot');
    const rounds = provideAll(c);
    assert.equal(rounds, Math.ceil(total / 16));
    const offsets = chunksTo(c, 'c').map((m) => m.snapshot!.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: rounds }, (_, i) => i * 16),
      'each chunk sent once, in order',
    );
    assert.equal(c.node('a').snapshotDataBytes(), 0, 'the core never held the data');
    assert.deepEqual(c.peer('c').state, a.state);
    assert.equal(c.peer('c').snapshot?.metadata.index, 21);
    assert.equal(c.node('a').status().progress?.c?.state, 'replicate');
    c.propose('a', 'after');
    c.stabilize();
    assert.equal(c.peer('c').state.at(-1), 'after');
  });

  it('sends a chunk shorter than asked as it is; the next ask starts where it ended', () => {
    const c = offered();
    provideAll(c, 5);
    const chunks = chunksTo(c, 'c').map((m) => m.snapshot!);
    assert.ok(chunks.every((s) => s.data.length <= 5));
    chunks.forEach((s, i) => assert.equal(s.offset, i * 5));
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('refuses a chunk of no bytes, or of more than were asked for', () => {
    const c = offered();
    const w = c.peer('a').chunksWanted[0]!;
    const node = c.node('a');
    assert.throws(
      () => node.provideSnapshotChunk(21, 0, new Uint8Array(0)),
      /snapshot 21: a chunk of 0 bytes at 0 \(1 to 16 were asked for\)/,
    );
    assert.throws(() => node.provideSnapshotChunk(21, 0, new Uint8Array(w.length + 1)), /17 bytes/);
  });

  it('ignores a chunk nobody needs next: another offset, another snapshot, or sent already', () => {
    const c = offered();
    const data = c.peer('a').snapshot!.data;
    const node = c.node('a');
    assert.equal(node.provideSnapshotChunk(21, 16, data.subarray(16, 32)), false, 'not asked yet');
    assert.equal(node.provideSnapshotChunk(20, 0, data.subarray(0, 16)), false, 'another snapshot');
    assert.equal(node.provideSnapshotChunk(21, 0, data.subarray(0, 16)), true);
    assert.equal(node.provideSnapshotChunk(21, 0, data.subarray(0, 16)), false, 'already sent');
    c.stabilize();
    assert.equal(chunksTo(c, 'c').length, 1);
    assert.equal(
      node.provideSnapshotChunk(21, 16, data.subarray(16, 32)),
      true,
      'once acknowledged',
    );
  });

  it('drops the chunks it asked for when it steps down before handing them out', () => {
    const c = offered();
    const a = c.peer('a');
    a.chunksWanted = []; // the read was lost: two heartbeat rounds later a asks again
    c.tick('a', 2);
    const term = c.node('a').status().term;
    c.node('a').step(makeMessage({ type: 'heartbeat', to: 'a' }, 'b', 1, term + 1));
    assert.equal(c.node('a').status().role, 'follower');
    c.flush();
    assert.deepEqual(a.chunksWanted, [], 'a follower asks for no chunk');
    const data = a.snapshot!.data;
    assert.equal(c.node('a').provideSnapshotChunk(21, 0, data.subarray(0, 16)), false);
  });

  it('asks again for a chunk never provided, after two heartbeat rounds', () => {
    const c = offered();
    c.peer('a').chunksWanted = []; // the read was lost
    c.tickAll(1);
    assert.deepEqual(c.peer('a').chunksWanted, [], 'one round: still waiting');
    c.tickAll(1);
    assert.deepEqual(c.peer('a').chunksWanted, [{ index: 21, offset: 0, length: 16 }]);
    provideAll(c);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('starts every transfer over when the snapshot can no longer be read, with the one the log holds', () => {
    const c = offered();
    const a = c.peer('a');
    a.provideChunks();
    c.stabilize();
    a.provideChunks();
    c.stabilize();
    assert.equal(chunksTo(c, 'c').length, 2);
    // The log compacts to a newer snapshot (26); the application's store drops the older one.
    for (let i = 0; i < 5; i++) c.propose('a', `more-${i}`);
    c.stabilize();
    a.compact(true);
    a.chunksWanted = [];
    a.wanted = [];
    c.node('a').snapshotUnavailable(21);
    assert.equal(c.node('a').status().progress?.c?.state, 'probe', 'the transfer is given up');
    c.tickAll(2);
    assert.ok(a.wanted.includes(26), 'the newer snapshot is asked for');
    assert.deepEqual(a.chunksWanted, [], 'no chunk of the older one');
    assert.equal(a.offerSnapshot(), true);
    c.stabilize();
    assert.deepEqual(a.chunksWanted, [{ index: 26, offset: 0, length: 16 }], 'from its start');
    provideAll(c);
    assert.deepEqual(c.peer('c').state, a.state);
    assert.equal(c.peer('c').snapshot?.metadata.index, 26);
  });

  it('forgets an offer when the snapshot at its index can no longer be read', () => {
    const c = offered();
    const a = c.peer('a');
    a.chunksWanted = [];
    a.wanted = [];
    c.node('a').snapshotUnavailable(21);
    c.tickAll(2);
    assert.ok(a.wanted.includes(21), 'asked for again: the offer is gone');
    assert.deepEqual(a.chunksWanted, []);
    assert.equal(a.offerSnapshot(), true);
    c.stabilize();
    provideAll(c);
    assert.deepEqual(c.peer('c').state, a.state);
  });

  it('a follower that received a whole snapshot starts no other transfer before installing it', () => {
    const c = offered();
    const a = c.peer('a');
    // Every chunk but the last.
    while (a.chunksWanted[0]!.offset + 16 < a.snapshot!.data.length) {
      a.provideChunks();
      c.stabilize();
    }
    a.provideChunks();
    c.flush();
    const last = c.inbox.find((m) => m.type === 'snapshot' && m.to === 'c');
    assert.ok(last !== undefined);
    c.inbox = [];
    c.deliver(last);
    // Before c's next Ready, the first chunk of another snapshot (the leader
    // gave up on this transfer meanwhile and started over with a newer one).
    const meta = { ...last.snapshot!.metadata, index: 26 };
    c.deliver({
      ...last,
      snapshot: { metadata: meta, offset: 0, total: 100, data: new Uint8Array(16) },
    });
    c.flush(); // c stages and installs exactly the pieces of snapshot 21
    assert.equal(c.peer('c').snapshot?.metadata.index, 21);
    assert.deepEqual(c.peer('c').state, a.state);
    assert.equal(c.peer('c').staged, null, 'nothing of the other one was staged');
  });

  it('refuses an offer for a snapshot the log has since replaced, or of no bytes', () => {
    const c = laggingFollower(true);
    const old = c.peer('a').snapshot!;
    for (let i = 0; i < 5; i++) c.propose('a', `more-${i}`);
    c.stabilize();
    c.peer('a').compact(true);
    assert.equal(c.node('a').offerSnapshot(old.metadata.index, old.data.length), false);
    assert.throws(() => c.node('a').offerSnapshot(26, 0), /a size of at least 1 byte/);
  });
});
