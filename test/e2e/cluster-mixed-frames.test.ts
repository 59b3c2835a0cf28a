// Nodes whose storage engines take different frames (STORAGE_MAX_FRAME_SIZE):
// every node tells the others how large a Raft entry its engine can hold,
// and the leader refuses up front a write some member could not store,
// naming it and the frame it needs. Without this the two large nodes
// acknowledged the write and the small one failed to store it, reloaded
// its Raft state and failed again, never catching up. A node that wants to
// join with an engine too small for an entry the leader's log holds is
// refused with the same advice.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemberStatus } from '../../src/coordinator/replication/replication.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

const SMALL_FRAME = 256 * 1024;
const SMALL = { STORAGE_MAX_FRAME_SIZE: String(SMALL_FRAME) };
/** Just more than an engine with SMALL_FRAME can hold in one entry. */
const TOO_BIG = Buffer.alloc(SMALL_FRAME, 7);
/** Fits it. */
const FITS = Buffer.alloc(SMALL_FRAME - 4096, 8);

/** The leader's view of member `id`, once it knows its entry room (up to 10 s); null if it never does. */
async function roomKnown(
  cluster: TestCluster,
  leader: ClusterNodeProc,
  id: string,
): Promise<MemberStatus | null> {
  for (let i = 0; i < 100; i++) {
    const m = (await cluster.status(leader)).members.find((x) => x.id === id);
    if (m?.entryRoom != null) return m;
    await sleep(100);
  }
  return null;
}

test('a write larger than one member can store is refused up front, naming it', async () => {
  const cluster = await TestCluster.start(3, ['--log-level', 'info'], {}, { n3: SMALL });
  try {
    const small = cluster.node('n3');
    let leader = cluster.node(await cluster.waitForLeader());
    if (leader === small) {
      const admin = await cluster.client(leader);
      assert.equal(await admin.command('CLUSTER', 'TRANSFER-LEADER', 'n1'), 'OK');
      leader = cluster.node(await cluster.waitForLeader());
    }
    const seen = await roomKnown(cluster, leader, small.id);
    if (seen !== null) assert.ok(seen.entryRoom! < SMALL_FRAME, JSON.stringify(seen));
    const c = await cluster.client(leader);
    await assert.rejects(
      c.put('too-big', TOO_BIG),
      /ERR the write needs a Raft entry of \d+ bytes, but node n3's storage engine holds at most \d+ \(STORAGE_MAX_FRAME_SIZE 262144 there\); raise STORAGE_MAX_FRAME_SIZE on n3 to at least \d+/,
    );
    // Through a follower too (forwarded to the leader).
    const other = cluster.nodes.find((n) => n !== leader && n !== small)!;
    await assert.rejects((await cluster.client(other)).put('too-big', TOO_BIG), /node n3/);

    await c.put('fits', FITS);
    const commit = (await cluster.status(leader)).commit;
    for (let i = 0; (await cluster.status(small)).applied < commit; i++) {
      assert.ok(i < 200, 'n3 did not apply the write that fits in 20 s');
      await sleep(100);
    }
    const r = await cluster.client(small);
    assert.equal(await r.command('READONLY'), 'OK');
    assert.deepEqual(await r.get('fits'), FITS);
    assert.equal(await r.get('too-big'), null);
    assert.doesNotMatch(small.proc!.output(), /raft storage operation failed/);
  } finally {
    await cluster.stop();
  }
});

test('a node whose engine cannot hold an entry in the leader log is refused when it joins', async () => {
  const cluster = await TestCluster.start(3, ['--log-level', 'info']);
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    const c = await cluster.client(leader);
    await c.put('big', TOO_BIG);
    const n4 = await cluster.addNodeSpec('n4', SMALL);
    await cluster.run(n4, ['--join', `127.0.0.1:${leader.peerPort}`]);
    await n4.proc!.waitFor(
      /cannot join the cluster through .* node n4's storage engine holds Raft entries of at most \d+ bytes \(STORAGE_MAX_FRAME_SIZE 262144\), but the leader's log holds one of \d+ bytes: start n4 with STORAGE_MAX_FRAME_SIZE of at least \d+/,
      20_000,
    );
    await sleep(3000); // it keeps asking, quietly
    const out = n4.proc!.output();
    assert.equal(out.match(/cannot join the cluster/g)?.length, 1, out);
    assert.doesNotMatch(out, /raft storage operation failed/);
    const members = (await cluster.status(leader)).members.map((m) => m.id);
    assert.deepEqual(members.sort(), ['n1', 'n2', 'n3']);
  } finally {
    await cluster.stop();
  }
});

test('a follower restarted with a frame too small for an entry it missed says so once', async () => {
  const cluster = await TestCluster.start(3, ['--log-level', 'info']);
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await cluster.kill9(follower);
    const c = await cluster.client(leader);
    await c.put('big', TOO_BIG); // acknowledged by the other two
    follower.env = SMALL;
    await cluster.run(follower);
    const said =
      /this node's storage engine cannot store a Raft entry of \d+ bytes that the cluster holds: its STORAGE_MAX_FRAME_SIZE \(262144\) leaves \d+ bytes of room\. It cannot catch up until it runs with STORAGE_MAX_FRAME_SIZE of at least \d+/g;
    await follower.proc!.waitFor(said, 30_000);
    await sleep(8000); // at least one more reload meets the entry again
    const out = follower.proc!.output();
    assert.equal(out.match(said)?.length, 1, out);
    assert.doesNotMatch(out, /raft storage operation failed/);
    // The leader has heard its new room: no more writes it cannot store.
    assert.ok(((await roomKnown(cluster, leader, follower.id))?.entryRoom ?? 0) < SMALL_FRAME);
    await assert.rejects(c.put('big-2', TOO_BIG), new RegExp(`node ${follower.id}'s storage`));
  } finally {
    await cluster.stop();
  }
});
