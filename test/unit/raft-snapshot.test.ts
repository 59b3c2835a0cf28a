import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMessage } from '../../src/raft/message.js';
import { SnapshotReceiver } from '../../src/raft/snapshot-receiver.js';
import type { IncomingSnapshotStep, Message, Ready, SnapshotChunk } from '../../src/raft/types.js';
import { RawNode } from '../../src/raft/raw-node.js';
import { chunksTo, Cluster, laggingFollower, testConfig } from '../helpers/raft-cluster.js';

describe('raft snapshots', () => {
  it('streams a snapshot in chunks to a follower behind the compacted log, then resumes appending', () => {
    const c = laggingFollower();
    c.heal();
    c.delivered = [];
    c.tickAll(2);
    const chunks = chunksTo(c, 'c');
    const total = chunks[0]?.snapshot?.total ?? 0;
    assert.ok(total > 16 * 5, `snapshot of ${total} bytes`);
    assert.equal(chunks.length, Math.ceil(total / 16));
    assert.ok(chunks.every((m) => (m.snapshot?.data.length ?? 99) <= 16));
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.peer('c').snapshot?.metadata.index, 21);
    assert.equal(c.node('a').status().progress?.c?.state, 'replicate');
    c.propose('a', 'after');
    c.stabilize();
    assert.equal(c.peer('c').state.at(-1), 'after');
    assert.equal(c.peer('c').entries.length, 1, 'appended after the snapshot, not from it');
  });

  it('resends a lost chunk after heartbeats', () => {
    const c = laggingFollower();
    c.heal();
    let dropped = 0;
    c.drop = (m) => m.type === 'snapshot' && m.snapshot?.offset === 32 && dropped++ === 0;
    c.tickAll(6);
    assert.equal(dropped, 2, 'dropped once, then resent and delivered');
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('stops resending chunks to a follower that went silent, resumes when it answers', () => {
    const c = laggingFollower();
    c.heal();
    c.drop = (m) => m.type === 'snapshot' && m.snapshot !== null && m.snapshot.offset >= 32;
    c.tickAll(2);
    c.isolate('c');
    c.tickAll(25); // a check-quorum round marks c inactive
    let attempts = 0;
    c.drop = (m) => {
      if (m.type === 'snapshot' && m.to === 'c') attempts++;
      return m.to === 'c' || m.from === 'c';
    };
    c.tickAll(10);
    assert.equal(attempts, 0, 'no chunks to a silent follower');
    c.heal();
    c.tickAll(6);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('starts over when the follower restarts mid-transfer and loses its buffer', () => {
    const c = laggingFollower();
    c.heal();
    let restarted = false;
    c.drop = (m) => {
      if (!restarted && m.type === 'snapshot' && m.snapshot?.offset === 48) {
        restarted = true;
        c.peer('c').restart();
      }
      return false;
    };
    c.tickAll(8);
    assert.ok(restarted);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('gives up on a follower silent for an election timeout mid-transfer, and starts over when it answers', () => {
    const c = laggingFollower();
    c.heal();
    c.drop = (m) => m.type === 'snapshot' && m.snapshot !== null && m.snapshot.offset >= 32;
    c.tickAll(1);
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot');
    c.drop = (m) => m.to === 'c' || m.from === 'c';
    c.tickAll(9);
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot', 'not yet: 9 silent ticks');
    c.tickAll(2);
    assert.equal(c.node('a').status().progress?.c?.state, 'probe', 'given up after 10');
    c.heal();
    c.tickAll(6);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('starts over after the follower refuses a malformed chunk', () => {
    const c = laggingFollower();
    c.heal();
    let corrupted = 0;
    c.drop = (m) => {
      if (m.type === 'snapshot' && m.snapshot !== null && corrupted++ === 1) {
        m.snapshot = { ...m.snapshot, offset: m.snapshot.total };
      }
      return false;
    };
    c.tickAll(8);
    assert.ok(c.delivered.some((m) => m.type === 'snapshot-response' && m.reject));
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
  });

  it('a node restarts from its persisted snapshot and the entries after it', () => {
    const c = laggingFollower();
    c.propose('a', 'tail');
    c.stabilize();
    c.peer('a').restart();
    const st = c.node('a').status();
    assert.equal(st.lastIndex, 22);
    assert.equal(st.term, 1);
    c.stabilize();
    assert.equal(c.peer('a').state.length, 21);
  });

  it('refuses to compact past the applied index', () => {
    const c = new Cluster(['a']);
    c.elect('a');
    c.propose('a', 'x');
    c.flush(); // handed out, applied, advanced
    c.propose('a', 'y');
    assert.throws(() => c.node('a').compact(3, new Uint8Array()), /only applied entries \(≤ 2\)/);
  });

  it('a snapshot keeps the membership of its index', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').proposeConfChange({ type: 'add-learner', node: 'l', context: new Uint8Array() });
    c.stabilize();
    c.addPeer('l', ['a', 'b', 'c']);
    c.peer('a').compact();
    c.tickAll(3);
    assert.deepEqual(c.node('l').status().conf, { voters: ['a', 'b', 'c'], learners: ['l'] });
    assert.deepEqual(c.peer('l').state, c.peer('a').state);
  });

  it('a node added after the last snapshot installs it, then learns its own membership from the log', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.peer('a').compact();
    c.node('a').proposeConfChange({ type: 'add-learner', node: 'l', context: new Uint8Array() });
    c.stabilize();
    c.addPeer('l', []);
    c.tickAll(3);
    assert.deepEqual(c.peer('l').state, ['x']);
    assert.deepEqual(c.node('l').status().conf, { voters: ['a', 'b', 'c'], learners: ['l'] });
    assert.equal(c.node('a').status().progress?.l?.state, 'replicate');
  });
});

/** The bytes a Ready hands out to stage, and the snapshot-response acknowledgments it sends. */
function pieceBytes(rd: Ready): number {
  let n = 0;
  for (const step of rd.incomingSnapshot) if (step.type === 'piece') n += step.chunk.data.length;
  return n;
}

const acks = (rd: Ready): number[] =>
  rd.messages
    .filter((m) => m.type === 'snapshot-response' && !m.reject)
    .map((m) => m.snapshot?.offset ?? -1);

describe('a follower stages a snapshot as it arrives', () => {
  it('hands each chunk out in the Ready that acknowledges it, and installs from the metadata', () => {
    const c = laggingFollower();
    const follower = c.peer('c');
    follower.readies = [];
    c.heal();
    c.tickAll(2);
    const readies = follower.readies;
    let handedOut = 0;
    let acked = 0;
    for (const rd of readies) {
      handedOut += pieceBytes(rd);
      // Sent after this Ready's pieces are staged: never ahead of them.
      for (const offset of acks(rd)) {
        assert.ok(offset <= handedOut, `ack of ${offset} with ${handedOut} bytes handed out`);
        acked = Math.max(acked, offset);
      }
      assert.ok(
        rd.incomingSnapshot.every((s) => s.type === 'piece' && s.chunk.data.length <= 16),
        'pieces of at most one chunk, no drop',
      );
    }
    const total = chunksTo(c, 'c')[0]?.snapshot?.total ?? 0;
    assert.equal(handedOut, total, 'every byte handed out exactly once');
    assert.ok(acked > 0 && acked < total, 'the last chunk is answered by the install');
    const installs = readies.filter((rd) => rd.snapshot !== null);
    assert.equal(installs.length, 1);
    assert.equal(installs[0]?.snapshot?.index, 21);
    assert.deepEqual(follower.state, c.peer('a').state);
  });

  it('hands out no duplicate: a resent chunk already handed out is only acknowledged again', () => {
    const c = laggingFollower();
    const follower = c.peer('c');
    follower.readies = [];
    c.heal();
    let answers = 0;
    // Lose one answer: the leader resends that chunk after two heartbeats.
    c.drop = (m) => m.type === 'snapshot-response' && m.snapshot?.offset === 48 && answers++ === 0;
    c.tickAll(6);
    const total = chunksTo(c, 'c')[0]?.snapshot?.total ?? 0;
    assert.equal(answers, 2, 'answered twice');
    assert.equal(
      follower.readies.reduce((n, rd) => n + pieceBytes(rd), 0),
      total,
    );
    assert.deepEqual(follower.state, c.peer('a').state);
  });

  it('a new term mid-transfer drops what was staged and withdraws answers not yet handed out', () => {
    const c = laggingFollower();
    const follower = c.peer('c');
    c.heal();
    c.drop = (m) => m.type === 'snapshot' && m.snapshot !== null && m.snapshot.offset >= 48;
    c.tickAll(1);
    assert.ok(follower.staged !== null && follower.staged.pieces.length > 0, 'part staged');
    // A chunk arrives, then a heartbeat of a newer leader, both before the next Ready.
    const term = c.node('a').status().term;
    const chunk = chunksTo(c, 'c').at(-1)!;
    const next = follower.staged.pieces.reduce((n, p) => n + p.length, 0);
    c.node('c').step({
      ...chunk,
      snapshot: { ...chunk.snapshot!, offset: next, data: new Uint8Array(16) },
    });
    c.node('c').step({ ...chunk, type: 'heartbeat', from: 'b', term: term + 1, snapshot: null });
    const rd = c.node('c').ready();
    c.node('c').advance();
    assert.deepEqual(
      rd.incomingSnapshot.map((s) => s.type),
      ['piece', 'drop'],
      'the piece, then the drop',
    );
    assert.deepEqual(acks(rd), [], 'no answer acknowledges the dropped piece');
  });

  it('a snapshot completed but no longer needed is dropped, not installed', () => {
    // c holds entries 1-21 of term 1 but does not know they are committed.
    const conf = { voters: ['a', 'b', 'c'], learners: [] };
    const entries = Array.from({ length: 21 }, (_, i) => ({
      term: 1,
      index: i + 1,
      type: 'normal' as const,
      data: new Uint8Array(0),
    }));
    const node = new RawNode(testConfig('c'), {
      hardState: { term: 1, vote: null, commit: 0 },
      snapshot: null,
      entries,
      initialConf: conf,
    });
    const metadata = { index: 21, term: 1, conf };
    const chunk = (offset: number): Message =>
      makeMessage(
        {
          type: 'snapshot',
          to: 'c',
          snapshot: { metadata, offset, total: 2, data: new Uint8Array([offset]) },
        },
        'a',
        1,
        1,
      );
    node.step(chunk(0));
    node.step(chunk(1));
    const rd = node.ready();
    assert.deepEqual(
      rd.incomingSnapshot.map((s) => s.type),
      ['piece', 'piece', 'drop'],
    );
    assert.equal(rd.snapshot, null, 'nothing to install: it holds those entries');
    assert.equal(node.status().commit, 21);
  });

  it('a new leader mid-transfer starts its own from 0: the partial one is dropped first', () => {
    const c = laggingFollower();
    const follower = c.peer('c');
    c.heal();
    c.drop = (m) => m.type === 'snapshot' && m.snapshot !== null && m.snapshot.offset >= 48;
    c.tickAll(1);
    assert.ok(follower.staged !== null, 'part staged');
    follower.readies = [];
    c.isolate('a');
    for (let i = 0; i < 40 && c.leaders().every((id) => id === 'a'); i++) c.tickAll(1);
    const leader = c.leaders().find((id) => id !== 'a');
    assert.ok(leader !== undefined, 'a new leader');
    c.tickAll(6);
    const steps = follower.readies.flatMap((rd) => rd.incomingSnapshot);
    const drop = steps.findIndex((st) => st.type === 'drop');
    assert.ok(drop >= 0, 'the partial transfer is dropped');
    const restart = steps[drop + 1];
    assert.ok(restart?.type === 'piece' && restart.chunk.offset === 0, 'then one from 0');
    assert.deepEqual(follower.state, c.peer(leader).state);
  });
});

describe('snapshot receiver', () => {
  const metadata = { index: 5, term: 2, conf: { voters: ['a'], learners: [] } };
  const chunk = (offset: number, data: number[], total = 6): SnapshotChunk => ({
    metadata,
    offset,
    total,
    data: new Uint8Array(data),
  });
  const pieces = (steps: IncomingSnapshotStep[]): string[] =>
    steps.map((s) =>
      s.type === 'drop' ? 'drop' : `${s.chunk.offset}:${[...s.chunk.data].join(',')}`,
    );

  it('hands out each in-order byte once, tolerates duplicates and asks again past a gap', () => {
    const s = new SnapshotReceiver();
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 2);
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 2, 'duplicate');
    assert.equal(s.receive('a', 1, chunk(4, [5, 6])).next, 2, 'gap');
    assert.equal(s.receive('a', 1, chunk(1, [2, 3, 4])).next, 4, 'overlap');
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 4, 'late duplicate');
    const done = s.receive('a', 1, chunk(4, [5, 6]));
    assert.deepEqual(done.complete, metadata);
    assert.deepEqual(pieces(s.steps), ['0:1,2', '2:3,4', '4:5,6']);
  });

  it('never mixes chunks of two senders or terms: another one starts over from 0, dropping the first', () => {
    const s = new SnapshotReceiver();
    s.receive('a', 1, chunk(0, [1, 2]));
    assert.equal(s.receive('b', 1, chunk(2, [3, 4])).next, 0);
    assert.equal(s.receive('a', 2, chunk(2, [3, 4])).next, 0);
    const restarted = s.receive('a', 2, chunk(0, [7, 8]));
    assert.deepEqual([restarted.next, restarted.dropped], [2, true]);
    assert.deepEqual(pieces(s.steps), ['0:1,2', 'drop', '0:7,8']);
  });

  it('rejects a malformed chunk', () => {
    const s = new SnapshotReceiver();
    assert.equal(s.receive('a', 1, chunk(4, [1, 2, 3], 6)).reject, true);
    assert.equal(s.receive('a', 1, chunk(-1, [1], 6)).reject, true);
    assert.deepEqual(s.steps, []);
  });

  it('drops only a transfer under way', () => {
    const s = new SnapshotReceiver();
    assert.equal(s.drop(), false);
    s.receive('a', 1, chunk(0, [1]));
    assert.equal(s.drop(), true);
    assert.deepEqual(pieces(s.steps), ['0:1', 'drop']);
  });
});
