// A node removed before anything of its addition reached it learns that it
// is not a member, says so in its log and CLUSTER STATUS, and refuses
// requests as a removed node, rather than waiting as "joining" for ever; a
// CLUSTER ADD makes it a member again. n4 is added while not running, then
// started (--join) with its engine's Raft log appends held
// (test/helpers/storage-proxy.ts): it has heard the leader's term but
// answered nothing. n4 is removed (the other three commit it) and let go;
// the leader no longer talks to it. Nothing it asks may disturb the
// cluster: the leader and its term stay the same throughout.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import { Op } from '../../src/storage/protocol.js';
import { nodeSpec, ProxiedCluster, status, type ProxiedNode } from './proxied-cluster-support.js';

test('a node removed before it heard of its addition says it is not a member', async () => {
  const cluster = await ProxiedCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const admin = await cluster.client(leader);
    const term = (await status(leader)).term;
    const spec = await nodeSpec('n4');
    const peer = `127.0.0.1:${spec.peerPort}`;
    assert.equal(await admin.command('CLUSTER', 'ADD', spec.id, peer), 'OK');
    const n4 = await cluster.join(spec, leader, [Op.raftAppend]);
    await n4.proxy.waitHeld(Op.raftAppend); // the leader's term, from its heartbeat
    assert.equal(await admin.command('CLUSTER', 'REMOVE', n4.id), 'OK');
    n4.proxy.release(Op.raftAppend);

    const told = await waitForStatus(n4, (s) => s.membership === 'removed', 20_000);
    assert.match(told.notice ?? '', /not a member of the cluster/);
    assert.match(told.notice ?? '', /CLUSTER ADD n4/);
    await n4.coordinator.waitFor(/is not a member of the cluster.*CLUSTER ADD n4/);
    const c = await cluster.client(n4);
    const t0 = Date.now();
    await assert.rejects(c.get('k'), /ERR node n4 was removed from the cluster/);
    assert.ok(Date.now() - t0 < 2000, 'the read waited instead of being refused');

    // Still for a while: no election, no new term, the same leader.
    await sleep(3000);
    const after = await status(leader);
    assert.equal(after.role, 'leader');
    assert.equal(after.term, term);

    // Added again, it becomes a member and serves requests.
    assert.equal(await admin.command('CLUSTER', 'ADD', spec.id, peer), 'OK');
    await waitForStatus(n4, (s) => s.membership === 'member' && s.notice === null, 20_000);
    assert.equal(await c.get('k'), null);
  } finally {
    await cluster.stop();
  }
});

async function waitForStatus(
  node: ProxiedNode,
  ok: (s: ClusterStatus) => boolean,
  timeoutMs: number,
): Promise<ClusterStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(node);
    if (ok(s)) return s;
    assert.ok(Date.now() < until, `${node.id}'s status never matched: ${JSON.stringify(s)}`);
    await sleep(200);
  }
}
