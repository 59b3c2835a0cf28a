// A follower that was down catches up after a restart: from the log when it
// missed a little, and from a snapshot (small --snapshot-every, so the
// leader has compacted what it missed) when it missed a lot. A compaction
// stores no image, in memory (distdb_raft_snapshot_held_bytes) or in the
// leader's storage engine: the leader takes a snapshot with its image only
// when the follower needs one, and holds it in memory only while it sends it.
// That image outlives a restart: the next follower that needs one is sent it.
// A follower that installs a snapshot stores its head alone (its state is the
// image), and still has an image to give once it leads. A node that joined
// waits to catch up instead of calling itself removed, after a restart too.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEYSPACE_RAFT_GROUP } from '../../src/coordinator/replication/replication-settings.js';
import {
  decodeSnapshotData,
  decodeStoredSnapshot,
} from '../../src/coordinator/replication/snapshot-format.js';
import { connectStorage } from '../../src/storage/client.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import {
  compactedSince,
  mgetCatchingUp,
  TestCluster,
  type ClusterNodeProc,
} from './cluster-support.js';

async function metric(node: ClusterNodeProc, name: string): Promise<number> {
  const m = /http=(\d+)/.exec(node.proc!.output());
  assert.ok(m, `node ${node.id} printed no HTTP port`);
  const res = await fetch(`http://127.0.0.1:${m[1]}/metrics`);
  assert.equal(res.status, 200);
  const value = parsePrometheusText(await res.text()).samples.get(name);
  assert.ok(value !== undefined, `${node.id} has no ${name}`);
  return value;
}

/**
 * Polls `name` on `node` (snapshots complete in the background) until `ok`,
 * or returns its last value after 30 s: the bound only catches a hang.
 */
async function waitMetric(
  node: ClusterNodeProc,
  name: string,
  ok: (v: number) => boolean,
): Promise<number> {
  let v = await metric(node, name);
  for (let i = 0; i < 300 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await metric(node, name);
  }
  return v;
}

/** The image bytes of the snapshot `node`'s storage engine holds, read over its socket. */
async function storedImageBytes(node: ClusterNodeProc): Promise<number> {
  const storage = await connectStorage(join(node.dataDir, 'storage.sock'));
  try {
    const stored = await storage.raftLoadSnapshot(KEYSPACE_RAFT_GROUP);
    assert.ok(stored !== null, `${node.id} stores no snapshot`);
    return decodeSnapshotData(decodeStoredSnapshot(stored).data).image.length;
  } finally {
    await storage.close();
  }
}

async function writeMany(cluster: TestCluster, via: ClusterNodeProc, prefix: string, n: number) {
  const c = await cluster.client(via);
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) pending.push(c.put(`${prefix}-${i}`, `v${i}`));
  await Promise.all(pending);
}

/**
 * Reads the keys linearizably on `node`. Right after a restart the read waits
 * for the node to catch up, which on a loaded machine can outlast the 5 s
 * request timeout: TRYAGAIN is retried for up to 30 s.
 */
async function assertHas(cluster: TestCluster, node: ClusterNodeProc, prefix: string, n: number) {
  const c = await cluster.client(node);
  const keys = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const until = Date.now() + 30_000;
  const values = await mgetCatchingUp(c, keys, until);
  keys.forEach((k, i) => assert.equal(values[i]?.toString(), `v${i}`, `${k} on ${node.id}`));
}

test('a restarted follower catches up from the log, and from a snapshot when far behind', async () => {
  const cluster = await TestCluster.start(3, [
    '--snapshot-every',
    '50',
    '--log-level',
    'info',
    '--http-port',
    '0',
  ]);
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const follower = cluster.nodes.find((n) => n.id !== leaderId)!;

    await cluster.kill9(follower);
    await writeMany(cluster, leader, 'short', 10);
    await cluster.run(follower);
    await assertHas(cluster, follower, 'short', 10);

    await cluster.kill9(follower);
    const mark = leader.proc!.output().length;
    await writeMany(cluster, leader, 'long', 400);
    await compactedSince(leader, mark);
    const taken = await waitMetric(leader, 'distdb_raft_snapshots_taken_total', (v) => v >= 1);
    assert.ok(taken >= 1, `the leader took ${taken} snapshots`);
    const held = 'distdb_raft_snapshot_held_bytes';
    assert.equal(await metric(leader, held), 0, 'no image held while no follower needs it');
    for (const n of cluster.running()) {
      assert.equal(await storedImageBytes(n), 0, `${n.id}: a compaction stores no image`);
    }
    await cluster.run(follower);
    await assertHas(cluster, follower, 'long', 400);
    assert.match(follower.proc!.output(), /installed a snapshot from the leader/);
    assert.match(leader.proc!.output(), /snapshot with its image taken for a follower/);
    assert.match(
      leader.proc!.output(),
      /sending the stored snapshot to a follower, a chunk at a time/,
    );
    assert.equal(await waitMetric(leader, held, (v) => v === 0), 0, 'let go after the transfer');
    assert.ok((await storedImageBytes(leader)) > 0, 'the image taken for the follower is stored');
    // It serves reads and writes like any member afterwards.
    await writeMany(cluster, follower, 'after', 5);
    for (const n of cluster.nodes) await assertHas(cluster, n, 'after', 5);
    // The next compaction stores a head alone again, dropping that image.
    const before = await metric(leader, 'distdb_raft_snapshots_taken_total');
    await writeMany(cluster, leader, 'again', 100);
    await waitMetric(leader, 'distdb_raft_snapshots_taken_total', (v) => v > before);
    assert.equal(await storedImageBytes(leader), 0, 'the next compaction drops the image');
  } finally {
    await cluster.stop();
  }
});

/**
 * Kills a follower, writes 200 keys ('long:<i>') through the leader, which
 * compacts them away (the cluster snapshots every 50), and restarts the
 * follower: it can catch up only from a snapshot. The leader holds its
 * compactions while a follower it heard from lately still needs entries
 * (catch-up-watch.ts), so the restart waits for the leader's compaction
 * (compactedSince) instead of pausing a fixed 3 s before the writes, which
 * assumed the leader's timers on time.
 */
async function restartBehindCompaction(
  cluster: TestCluster,
): Promise<{ leader: ClusterNodeProc; follower: ClusterNodeProc }> {
  const leaderId = await cluster.waitForLeader();
  const leader = cluster.node(leaderId);
  const follower = cluster.nodes.find((n) => n.id !== leaderId)!;
  await cluster.kill9(follower);
  const mark = leader.proc!.output().length;
  await writeMany(cluster, leader, 'long', 200);
  await compactedSince(leader, mark);
  await cluster.run(follower);
  return { leader, follower };
}

/** Moves the leadership to `node` (retried while it catches up), and waits until all agree. */
async function leadOn(cluster: TestCluster, node: ClusterNodeProc): Promise<void> {
  const admin = await cluster.client(node, 20_000);
  for (let i = 0; ; i++) {
    try {
      assert.equal(await admin.command('CLUSTER', 'TRANSFER-LEADER', node.id), 'OK');
      break;
    } catch (err) {
      if (i >= 10) throw err;
      await sleep(500);
    }
  }
  assert.equal(await cluster.waitForLeader(), node.id);
}

test('after a restart, a leader sends the image it stored before to the next follower that needs one', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const { leader, follower } = await restartBehindCompaction(cluster);
    await assertHas(cluster, follower, 'long', 200);
    assert.match(leader.proc!.output(), /snapshot with its image taken for a follower/);
    assert.ok((await storedImageBytes(leader)) > 0, 'the image taken for the follower is stored');

    // The leader restarts; the engine says at load that its snapshot has its image.
    await cluster.kill9(leader);
    await cluster.run(leader);
    await cluster.waitForLeader();
    await leadOn(cluster, leader);
    // A new node needs a snapshot (the log is compacted): the stored one is sent.
    const n4 = await cluster.addNodeSpec('n4');
    await cluster.run(n4, ['--join', `127.0.0.1:${leader.peerPort}`]);
    await assertHas(cluster, n4, 'long', 200);
    const out = leader.proc!.output(); // since the restart
    assert.match(out, /sending the stored snapshot to a follower, a chunk at a time/);
    assert.doesNotMatch(out, /snapshot with its image taken for a follower/, 'no second image');
    assert.match(n4.proc!.output(), /installed a snapshot from the leader/);
  } finally {
    await cluster.stop();
  }
});

test('a node that joined waits to catch up before it serves, instead of calling itself removed', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    await writeMany(cluster, leader, 'long', 200); // compacted: n4 needs a snapshot
    const n4 = await cluster.addNodeSpec('n4');
    const ready = cluster.run(n4, ['--join', `127.0.0.1:${leader.peerPort}`]);
    // Admitted, but nothing of the log reaches it while the leader is stopped:
    // its membership is still the one it joined with, which lacks it.
    await n4.proc!.waitFor(/joined the cluster/, 20_000);
    leader.proc!.kill('SIGSTOP');
    try {
      await ready;
      const c = await cluster.client(n4, 20_000);
      const read = c.get('long-0');
      await sleep(300);
      leader.proc!.kill('SIGCONT');
      assert.equal((await read)?.toString(), 'v0');
    } finally {
      leader.proc!.kill('SIGCONT');
    }
    await assertHas(cluster, n4, 'long', 200);
  } finally {
    await cluster.stop();
  }
});

test('a node that joined and restarts before it learns of itself still waits to catch up', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  const members = [...cluster.nodes];
  const resume = (): void => members.forEach((n) => n.proc?.kill('SIGCONT'));
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    await writeMany(cluster, leader, 'long', 200); // compacted: n4 needs a snapshot
    const n4 = await cluster.addNodeSpec('n4');
    const joinArgs = ['--join', `127.0.0.1:${leader.peerPort}`];
    const ready = cluster.run(n4, joinArgs);
    await n4.proc!.waitFor(/joined the cluster/, 20_000);
    // Every member stopped: no leader, old or new, sends n4 anything.
    for (const n of members) n.proc!.kill('SIGSTOP');
    try {
      await ready;
      await n4.proc!.waitFor(/bootstrapped an empty data dir/, 20_000);
      await cluster.kill9(n4);
      await cluster.run(n4, joinArgs); // restarts from its bootstrap record, no join
      const s = await cluster.status(n4);
      assert.ok(!s.members.some((m) => m.id === 'n4'), 'n4 has not learned of itself');
      const read = (await cluster.client(n4, 20_000)).get('long-0');
      await sleep(300);
      resume();
      assert.equal((await read)?.toString(), 'v0');
    } finally {
      resume();
    }
    await assertHas(cluster, n4, 'long', 200);
  } finally {
    await cluster.stop();
  }
});

test('a follower that installs a snapshot stores its head alone, recovers from a restart at once, and as leader takes an image for the next follower', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const { follower } = await restartBehindCompaction(cluster);
    // kill -9 as soon as the install is answered: the restart must find the
    // state, its applied index and a log that continues it.
    await follower.proc!.waitFor(/installed a snapshot from the leader/, 20_000);
    await cluster.kill9(follower);
    await cluster.run(follower);
    await assertHas(cluster, follower, 'long', 200);
    const storage = await connectStorage(join(follower.dataDir, 'storage.sock'));
    try {
      const disk = await storage.raftLoad(KEYSPACE_RAFT_GROUP);
      assert.ok(disk.snapshot !== null);
      const index = decodeStoredSnapshot(disk.snapshot).metadata.index;
      assert.ok(index >= 200, `the installed snapshot is at ${index}`);
      assert.equal(disk.snapshotImage, false, 'the install stored no copy of the image');
      assert.ok((await storage.stats(KEYSPACE_RAFT_GROUP)).appliedIndex >= index);
    } finally {
      await storage.close();
    }
    await writeMany(cluster, follower, 'after', 5);
    for (const n of cluster.nodes) await assertHas(cluster, n, 'after', 5);

    // It leads, and a new node needs a snapshot: it takes one with its image.
    await leadOn(cluster, follower);
    const n4 = await cluster.addNodeSpec('n4');
    await cluster.run(n4, ['--join', `127.0.0.1:${follower.peerPort}`]);
    await assertHas(cluster, n4, 'long', 200);
    await assertHas(cluster, n4, 'after', 5);
    assert.match(follower.proc!.output(), /snapshot with its image taken for a follower/);
    assert.match(n4.proc!.output(), /installed a snapshot from the leader/);
  } finally {
    await cluster.stop();
  }
});
