import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawNode } from '../../src/raft/raw-node.js';
import { chunksTo, laggingFollower, testConfig, type Cluster } from '../helpers/raft-cluster.js';

/** Leader a sends the lagging follower c the snapshot; chunks after the second are lost, so the transfer stays under way. */
function stalledTransfer(): Cluster {
  const c = laggingFollower(true);
  c.heal();
  c.tickAll(2);
  c.peer('a').provideSnapshot();
  c.drop = (m) => m.type === 'snapshot' && m.snapshot !== null && m.snapshot.offset >= 32;
  c.stabilize();
  return c;
}

describe('raft snapshots whose data the application holds', () => {
  it('compacts without data: the log moves on and holds no snapshot bytes', () => {
    const c = laggingFollower(true);
    const a = c.node('a');
    assert.equal(a.snapshotDataBytes(), 0);
    assert.ok(c.node('b').snapshotDataBytes() > 0, 'b compacted with its data');
    c.propose('a', 'after');
    c.stabilize();
    assert.equal(c.peer('b').state.at(-1), 'after', 'followers with the log keep replicating');
    assert.deepEqual(c.peer('a').wanted, [], 'nobody needed the snapshot');
    // A restart may pass the snapshot without its data too.
    const snap = c.peer('a').snapshot;
    assert.ok(snap !== null);
    const restarted = new RawNode(testConfig('a', { applied: snap.metadata.index }), {
      hardState: c.peer('a').hardState,
      snapshot: { metadata: snap.metadata, data: null },
      entries: c.peer('a').entries,
      initialConf: { voters: ['a', 'b', 'c'], learners: [] },
    });
    assert.equal(restarted.status().lastIndex, c.node('a').status().lastIndex);
    assert.equal(restarted.snapshotDataBytes(), 0);
  });

  it('asks the application for the data when a follower needs it, and sends nothing meanwhile', () => {
    const c = laggingFollower(true);
    c.heal();
    c.delivered = [];
    c.tickAll(3);
    assert.ok(c.peer('a').wanted.length > 0, 'a Ready asked for the snapshot');
    assert.ok(c.peer('a').wanted.every((i) => i === 21));
    assert.equal(chunksTo(c, 'c').length, 0);
    assert.equal(c.node('a').status().progress?.c?.state, 'probe', 'progress unchanged');
    assert.equal(c.peer('c').appliedIndex, 1, 'c is still behind');
  });

  it('sends the snapshot once it is provided; the follower catches up and replicates', () => {
    const c = laggingFollower(true);
    c.heal();
    c.tickAll(2);
    assert.equal(c.peer('a').provideSnapshot(), true);
    assert.ok(c.node('a').snapshotDataBytes() > 0);
    c.stabilize();
    c.tickAll(2);
    assert.ok(chunksTo(c, 'c').length > 1, 'streamed in chunks');
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.peer('c').snapshot?.metadata.index, 21);
    assert.equal(c.node('a').status().progress?.c?.state, 'replicate');
    c.propose('a', 'after');
    c.stabilize();
    assert.equal(c.peer('c').state.at(-1), 'after');
  });

  it('ignores data for a snapshot the log has since replaced, and asks for the newer one', () => {
    const c = laggingFollower(true);
    c.heal();
    c.tickAll(2);
    const old = c.peer('a').snapshot;
    assert.ok(old !== null);
    for (let i = 0; i < 5; i++) c.propose('a', `more-${i}`);
    c.stabilize();
    c.peer('a').compact(true);
    assert.equal(c.node('a').provideSnapshot(old.metadata.index, old.data), false);
    assert.equal(c.node('a').snapshotDataBytes(), 0, 'stale data not kept');
    c.delivered = [];
    c.peer('a').wanted = [];
    c.tickAll(2);
    assert.equal(chunksTo(c, 'c').length, 0, 'the stale data is never sent');
    assert.ok(c.peer('a').wanted.includes(26), 'asks for the newer snapshot');
    assert.equal(c.peer('a').provideSnapshot(), true);
    c.tickAll(3);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.peer('c').snapshot?.metadata.index, 26);
  });

  it('keeps the data while a transfer runs, drops it once the follower caught up', () => {
    const c = stalledTransfer();
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot');
    assert.equal(c.node('a').dropSnapshotData(), false, 'refused mid-transfer');
    assert.ok(c.node('a').snapshotDataBytes() > 0);
    c.heal();
    c.tickAll(6);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.node('a').dropSnapshotData(), true);
    assert.equal(c.node('a').snapshotDataBytes(), 0);
  });

  it('gives up on a follower silent for an election timeout mid-transfer, and starts over when it answers', () => {
    const c = stalledTransfer(); // c then goes silent (crashed, cut off)
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot');
    c.isolate('c');
    c.tickAll(9);
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot', 'within the bound');
    assert.equal(c.node('a').dropSnapshotData(), false);
    c.tickAll(1);
    assert.equal(
      c.node('a').status().progress?.c?.state,
      'probe',
      'an election timeout of silence',
    );
    assert.equal(c.node('a').dropSnapshotData(), true, 'the image can go');
    assert.equal(c.node('a').snapshotDataBytes(), 0);
    c.tickAll(5);
    assert.equal(c.node('a').snapshotDataBytes(), 0, 'not asked for while c is silent');
    c.heal();
    c.peer('a').wanted = [];
    c.tickAll(2);
    assert.ok(c.peer('a').wanted.includes(21), 'asked for again once c answers');
    assert.equal(c.peer('a').provideSnapshot(), true);
    c.tickAll(3);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.node('a').status().progress?.c?.state, 'replicate');
  });

  it('counts an older image still being sent after the log compacts, until its transfer ends', () => {
    const c = stalledTransfer();
    const image = c.node('a').snapshotDataBytes();
    assert.ok(image > 0);
    for (let i = 0; i < 5; i++) c.propose('a', `more-${i}`);
    c.stabilize();
    c.peer('a').compact(true);
    assert.equal(c.node('a').status().progress?.c?.state, 'snapshot', 'the transfer goes on');
    assert.equal(c.node('a').snapshotDataBytes(), image, 'the older image is still held');
    assert.equal(c.node('a').dropSnapshotData(), false);
    c.heal();
    c.peer('a').wanted = [];
    c.tickAll(4);
    assert.equal(c.peer('c').snapshot?.metadata.index, 21, 'c installed the image it was sent');
    assert.ok(c.peer('a').wanted.includes(26), 'then needs the newer one');
    assert.equal(c.node('a').snapshotDataBytes(), 0, 'the older image is let go');
    assert.equal(c.peer('a').provideSnapshot(), true);
    c.tickAll(4);
    assert.deepEqual(c.peer('c').state, c.peer('a').state);
    assert.equal(c.node('a').dropSnapshotData(), true);
    assert.equal(c.node('a').snapshotDataBytes(), 0);
  });
});
