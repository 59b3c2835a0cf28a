// kill -9 of the storage engine (only) on the leader, then on a follower,
// under a steady write load: the node notices, `distdb node` restarts the
// engine, the coordinator reloads its Raft state from it and serves again,
// and no acknowledged write is lost on any node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { putUntilOk, startWriter, TestCluster, type ClusterNodeProc } from './cluster-support.js';
import { storagePid, waitGone } from './node-helpers.js';

test('storage engine kill -9 on the leader and on a follower loses nothing acknowledged', async () => {
  const cluster = await TestCluster.start(3);
  const acked = new Map<string, string>();
  const errors: string[] = [];
  const writers: Array<{ stop(): Promise<void> }> = [];
  const stopWriters = () => Promise.all(writers.map((w) => w.stop()));
  const crashEngine = async (node: ClusterNodeProc): Promise<void> => {
    const engine = await storagePid(node.proc!);
    process.kill(engine, 'SIGKILL');
    await waitGone(engine);
    await storagePid(node.proc!, engine); // the node restarted it
    const c = await cluster.client(node);
    await putUntilOk(c, `after-crash-${node.id}`, 'ok');
    acked.set(`after-crash-${node.id}`, 'ok');
  };
  try {
    const leaderId = await cluster.waitForLeader();
    for (const n of cluster.nodes) {
      writers.push(startWriter(await cluster.client(n, 8000), `w-${n.id}`, acked, errors));
    }
    await sleep(800);
    await crashEngine(cluster.node(leaderId));
    await sleep(800);
    const follower = cluster.nodes.find((n) => n.id !== leaderId)!;
    await crashEngine(follower);
    await sleep(800);
    await stopWriters();
    for (const e of errors) assert.match(e, /^(TRYAGAIN|CLUSTERDOWN) /, e);
    assert.ok(acked.size > 10, `only ${acked.size} writes acknowledged`);

    await cluster.waitForLeader();
    await cluster.assertAckedEverywhere(acked);
  } finally {
    await stopWriters();
    await cluster.stop();
  }
});
