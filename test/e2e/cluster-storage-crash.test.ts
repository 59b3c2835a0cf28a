// kill -9 of the storage engine (only) on the leader, then on a follower,
// under a steady write load: the node notices, `distdb node` restarts the
// engine, the coordinator reloads its Raft state from it and serves again,
// and no acknowledged write is lost on any node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyError, type Client } from '../../src/index.js';
import { putUntilOk, TestCluster, type ClusterNodeProc } from './cluster-support.js';
import { storagePid, waitGone } from './node-helpers.js';

test('storage engine kill -9 on the leader and on a follower loses nothing acknowledged', async () => {
  const cluster = await TestCluster.start(3);
  const acked = new Map<string, string>();
  const errors: string[] = [];
  let stop = false;
  const writers: Array<Promise<void>> = [];
  const write = async (client: Client, name: string): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const key = `${name}-${i}`;
      try {
        await client.put(key, `v${i}`);
        acked.set(key, `v${i}`);
      } catch (err) {
        if (err instanceof ReplyError) errors.push(err.message);
        await sleep(20);
      }
    }
  };
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
    for (const n of cluster.nodes) writers.push(write(await cluster.client(n, 8000), `w-${n.id}`));
    await sleep(800);
    await crashEngine(cluster.node(leaderId));
    await sleep(800);
    const follower = cluster.nodes.find((n) => n.id !== leaderId)!;
    await crashEngine(follower);
    await sleep(800);
    stop = true;
    await Promise.all(writers);
    for (const e of errors) assert.match(e, /^(TRYAGAIN|CLUSTERDOWN) /, e);
    assert.ok(acked.size > 10, `only ${acked.size} writes acknowledged`);

    await cluster.waitForLeader();
    for (const n of cluster.nodes) {
      const c = await cluster.client(n);
      const keys = [...acked.keys()];
      const values = await c.mget(keys);
      keys.forEach((k, i) =>
        assert.equal(values[i]?.toString(), acked.get(k), `${k} missing on ${n.id}`),
      );
    }
  } finally {
    stop = true;
    await Promise.all(writers);
    await cluster.stop();
  }
});
