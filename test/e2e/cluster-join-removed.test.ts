// A node that learns of its addition and of its removal in one batch answers
// "removed", like any removed node; it does not stay "joining" (its reads
// would wait out the request timeout). n4 is added while not running, then
// started (--join) with its engine's Raft log appends held
// (test/helpers/storage-proxy.ts): it has heard the leader's term but
// answered nothing. The leader's appends are held too, and n4 is removed:
// the removal's entry goes to every member, n4's probe included, and is
// committed by the other two nodes while the leader waits for its own
// write. n4, let go, refuses that probe (its log is empty), and the leader,
// let go, answers with its whole log and the commit index covering the
// removal in the Ready that applies it: n4 applies the change that adds it
// and the one that removes it together. Nodes wait 60 s for the cluster
// (--request-timeout-ms), longer than the client waits for an answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Op } from '../../src/storage/protocol.js';
import { nodeSpec, ProxiedCluster } from './proxied-cluster-support.js';

test('a node that applies its addition and its removal in one batch answers "removed"', async () => {
  const cluster = await ProxiedCluster.start(3, ['--request-timeout-ms', '60000']);
  try {
    const leader = await cluster.waitForLeader();
    const admin = await cluster.client(leader);
    const spec = await nodeSpec('n4');
    assert.equal(
      await admin.command('CLUSTER', 'ADD', spec.id, `127.0.0.1:${spec.peerPort}`),
      'OK',
    );
    const n4 = await cluster.join(spec, leader, [Op.raftAppend]);
    await n4.proxy.waitHeld(Op.raftAppend); // the leader's term, from its heartbeat

    const others = cluster.nodes.filter((n) => n !== leader && n !== n4);
    const appends = others.map((n) => n.proxy.requests(Op.raftAppend));
    leader.proxy.hold(Op.raftAppend);
    const removed = admin.command('CLUSTER', 'REMOVE', n4.id);
    removed.catch(() => undefined); // awaited below
    await leader.proxy.waitHeld(Op.raftAppend);
    for (let i = 0; others.some((n, k) => n.proxy.requests(Op.raftAppend) === appends[k]); i++) {
      assert.ok(i < 200, 'the other two never appended the removal');
      await sleep(10);
    }
    // The leader's pump waits (no heartbeats): keep it under an election timeout (1 s).
    await sleep(100); // time for their answers to reach the leader
    n4.proxy.release(Op.raftAppend);
    await sleep(200); // time for n4's refusal of the probe to reach the leader
    leader.proxy.release(Op.raftAppend);
    assert.equal(String(await removed), 'OK');

    const c = await cluster.client(n4); // gives up after 15 s
    await assert.rejects(c.get('k'), new RegExp(`ERR node ${n4.id} was removed from the cluster`));
  } finally {
    await cluster.stop();
  }
});
