// An INCR whose leader cannot answer before it loses the leadership is
// retried by the node the client talks to, in the same client session, on
// the next leader (cluster-node.ts). The state machine must apply it once
// and answer the retry with the first sum. The old leader's engine holds
// its apply replies (a proxy on its storage socket), so the entry is
// committed and applied by the other nodes while the leader cannot answer;
// then the leadership moves, and only the session can tell the retry from a
// new increment.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Op } from '../../src/storage/protocol.js';
import { ProxiedCluster, type ProxiedNode } from './proxied-cluster-support.js';

test('an INCR retried on the next leader after the old one could not answer is applied once', async () => {
  // A write waits for the cluster this long, so the retry is not cut short on a loaded machine.
  const cluster = await ProxiedCluster.start(3, ['--request-timeout-ms', '60000']);
  try {
    const leader = await cluster.waitForLeader();
    const [via, next] = cluster.nodes.filter((n) => n !== leader) as [ProxiedNode, ProxiedNode];
    const c = await cluster.client(via, 90_000);
    assert.equal(await c.command('INCR', 'n'), 1);

    leader.proxy.hold(Op.apply);
    const incr = c.command('INCR', 'n');
    incr.catch(() => undefined); // awaited below
    await leader.proxy.waitHeld(Op.apply);
    // Committed, so the other nodes apply it; the leader cannot answer it.
    const local = await cluster.client(next);
    assert.equal(await local.command('READONLY'), 'OK');
    const until = Date.now() + 30_000;
    while (String(await local.get('n')) !== '2') {
      assert.ok(Date.now() < until, `${next.id} never applied the second INCR`);
      await sleep(50);
    }

    const admin = await cluster.client(next);
    assert.equal(await admin.command('CLUSTER', 'TRANSFER-LEADER', next.id), 'OK');
    // The old leader's apply is still held: this answer comes from the retry on the new leader.
    assert.equal(await incr, 2, 'the retried INCR was applied again');
    assert.ok(leader.proxy.heldCount(Op.apply) > 0, 'the old leader applied it after all');

    leader.proxy.release(Op.apply);
    for (const n of cluster.nodes) {
      const r = await cluster.client(n);
      assert.equal(String(await r.get('n')), '2', `node ${n.id}`);
    }
  } finally {
    await cluster.stop();
  }
});
