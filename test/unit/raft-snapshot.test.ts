import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SnapshotAssembler } from '../../src/raft/snapshot-assembler.js';
import type { SnapshotChunk } from '../../src/raft/types.js';
import { chunksTo, Cluster, laggingFollower } from '../helpers/raft-cluster.js';

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

describe('snapshot chunk reassembly', () => {
  const metadata = { index: 5, term: 2, conf: { voters: ['a'], learners: [] } };
  const chunk = (offset: number, data: number[], total = 6): SnapshotChunk => ({
    metadata,
    offset,
    total,
    data: new Uint8Array(data),
  });

  it('assembles in-order chunks, tolerates duplicates and asks again past a gap', () => {
    const s = new SnapshotAssembler();
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 2);
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 2, 'duplicate');
    assert.equal(s.receive('a', 1, chunk(4, [5, 6])).next, 2, 'gap');
    assert.equal(s.receive('a', 1, chunk(2, [3, 4])).next, 4);
    assert.equal(s.receive('a', 1, chunk(0, [1, 2])).next, 4, 'late duplicate');
    const done = s.receive('a', 1, chunk(4, [5, 6]));
    assert.deepEqual([...(done.complete?.data ?? [])], [1, 2, 3, 4, 5, 6]);
  });

  it('never mixes chunks of two senders or terms', () => {
    const s = new SnapshotAssembler();
    s.receive('a', 1, chunk(0, [1, 2]));
    assert.equal(s.receive('b', 1, chunk(2, [3, 4])).next, 0);
    assert.equal(s.receive('a', 2, chunk(2, [3, 4])).next, 0);
  });

  it('rejects a malformed chunk', () => {
    const s = new SnapshotAssembler();
    assert.equal(s.receive('a', 1, chunk(4, [1, 2, 3], 6)).reject, true);
    assert.equal(s.receive('a', 1, chunk(-1, [1], 6)).reject, true);
  });
});
