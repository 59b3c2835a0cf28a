// A follower that was down catches up after a restart: from the log when it
// missed a little, and from a snapshot (small --snapshot-every, so the
// leader has compacted what it missed) when it missed a lot.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

async function writeMany(cluster: TestCluster, via: ClusterNodeProc, prefix: string, n: number) {
  const c = await cluster.client(via);
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) pending.push(c.put(`${prefix}-${i}`, `v${i}`));
  await Promise.all(pending);
}

async function assertHas(cluster: TestCluster, node: ClusterNodeProc, prefix: string, n: number) {
  const c = await cluster.client(node);
  const keys = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const values = await c.mget(keys);
  keys.forEach((k, i) => assert.equal(values[i]?.toString(), `v${i}`, `${k} on ${node.id}`));
}

test('a restarted follower catches up from the log, and from a snapshot when far behind', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const follower = cluster.nodes.find((n) => n.id !== leaderId)!;

    await cluster.kill9(follower);
    await writeMany(cluster, leader, 'short', 10);
    await cluster.run(follower);
    await assertHas(cluster, follower, 'short', 10);

    await cluster.kill9(follower);
    await writeMany(cluster, leader, 'long', 400);
    await cluster.run(follower);
    await assertHas(cluster, follower, 'long', 400);
    assert.match(follower.proc!.output(), /installed a snapshot from the leader/);
    // It serves reads and writes like any member afterwards.
    await writeMany(cluster, follower, 'after', 5);
    for (const n of cluster.nodes) await assertHas(cluster, n, 'after', 5);
  } finally {
    await cluster.stop();
  }
});
