// Membership under a write load: a fourth node joins (--join), is promoted
// from learner to voter once caught up, takes over leadership, and an
// original node is removed (it then refuses requests with a clear error); no
// acknowledged write is lost.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyError, type Client } from '../../src/index.js';
import { TestCluster } from './cluster-support.js';

test('add a node, transfer leadership to it, remove an old node, lose nothing', async () => {
  const cluster = await TestCluster.start(3);
  const acked = new Map<string, string>();
  let stop = false;
  const writers: Array<Promise<void>> = [];
  const write = async (client: Client, name: string): Promise<void> => {
    for (let i = 0; !stop; i++) {
      try {
        await client.put(`${name}-${i}`, `v${i}`);
        acked.set(`${name}-${i}`, `v${i}`);
      } catch (err) {
        if (!(err instanceof ReplyError)) throw err;
        assert.match(err.message, /^(TRYAGAIN|CLUSTERDOWN) /);
        await sleep(20);
      }
    }
  };
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    writers.push(write(await cluster.client(cluster.nodes[1]!, 10_000), 'a'));
    writers.push(write(await cluster.client(cluster.nodes[2]!, 10_000), 'b'));

    const n4 = await cluster.addNodeSpec('n4');
    await cluster.run(n4, ['--join', `127.0.0.1:${leader.peerPort}`]);
    const until = Date.now() + 20_000;
    for (;;) {
      const s = await cluster.status(leader);
      const m = s.members.find((x) => x.id === 'n4');
      if (m?.role === 'voter') {
        assert.equal(m.peer, `127.0.0.1:${n4.peerPort}`);
        assert.equal(m.client, `127.0.0.1:${n4.port}`);
        break;
      }
      assert.ok(Date.now() < until, `n4 not promoted: ${JSON.stringify(s.members)}`);
      await sleep(100);
    }

    const admin = await cluster.client(cluster.nodes[1]!, 20_000);
    assert.equal(await admin.command('CLUSTER', 'TRANSFER-LEADER', 'n4'), 'OK');
    assert.equal(await cluster.waitForLeader(), 'n4');
    assert.equal(await admin.command('CLUSTER', 'REMOVE', 'n1'), 'OK');
    const s = await cluster.status(n4);
    assert.deepEqual(s.members.map((m) => m.id).sort(), ['n2', 'n3', 'n4']);
    await sleep(500);
    stop = true;
    await Promise.all(writers);

    const removed = await cluster.client(cluster.node('n1'));
    await assert.rejects(removed.put('x', 'y'), /ERR node n1 was removed from the cluster/);

    for (const id of ['n2', 'n3', 'n4']) {
      const c = await cluster.client(cluster.node(id));
      const keys = [...acked.keys()];
      const values = await c.mget(keys);
      keys.forEach((k, i) => assert.equal(values[i]?.toString(), acked.get(k), `${k} on ${id}`));
    }
    assert.ok(acked.size > 0);
  } finally {
    stop = true;
    await Promise.allSettled(writers);
    await cluster.stop();
  }
});
