// CLUSTER ADD sent through a follower, whose first answer is lost: the
// leader adds the node as a learner, and the node, started with --join,
// catches up and is promoted to voter, while the leader's answer is held
// (its engine's apply replies, test/helpers/storage-proxy.ts) until the
// leader gives up waiting (UNKNOWN, after its request timeout: 15 s, set
// here, time for n4 to start and be promoted first; 5 s was too short once
// on a loaded machine, load average 16, and 8 s once at load average 24).
// The follower retries, marked `retry`, and the leader finds the node a
// voter at the address asked: the ADD the request asked for is done, so the
// answer is OK, not "already a voter". A first attempt at adding a voter,
// at its address or another, still gets that error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import type { Client } from '../../src/index.js';
import { Op } from '../../src/storage/protocol.js';
import { nodeSpec, ProxiedCluster } from './proxied-cluster-support.js';

async function roleOf(c: Client, id: string): Promise<string | undefined> {
  const s = JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
  return s.members.find((m) => m.id === id)?.role;
}

/**
 * Waits until `c` sees node `id` in the membership as one of `roles`, for up
 * to 30 s: longer than the leader's 15 s, so that the order of the promotion
 * and the first answer decides the test, not this bound (200 polls, ~10 s,
 * were shorter than that, and a storage engine's start alone took 4-8 s
 * at load 18: docs/testing.md).
 */
async function waitForRole(c: Client, id: string, roles: string[]): Promise<void> {
  const until = Date.now() + 30_000;
  while (!roles.includes((await roleOf(c, id)) ?? 'none')) {
    assert.ok(Date.now() < until, `${id} never became a ${roles.join(' or ')}`);
    await sleep(50);
  }
}

test('CLUSTER ADD through a follower answers OK when the answer is lost and the node was promoted since', async () => {
  const cluster = await ProxiedCluster.start(3, ['--request-timeout-ms', '15000']);
  try {
    const leader = await cluster.waitForLeader();
    const via = cluster.nodes.find((n) => n !== leader)!;
    // Its ADD is answered after the leader's timeout and the follower's retry.
    const admin = await cluster.client(via, 40_000);
    const watch = await cluster.client(via); // answers while the ADD waits on `admin`
    const n4 = await nodeSpec('n4');
    const peer = `127.0.0.1:${n4.peerPort}`;

    leader.proxy.hold(Op.apply);
    let settled = false;
    const reply = admin.command('CLUSTER', 'ADD', n4.id, peer).finally(() => (settled = true));
    reply.catch(() => undefined); // awaited below
    // It may be promoted at once: "caught up" is near the commit index, and the log is short.
    await waitForRole(watch, n4.id, ['learner', 'voter']);
    const joined = cluster.join(n4, via);
    joined.catch(() => undefined); // awaited below
    await waitForRole(watch, n4.id, ['voter']);
    assert.equal(settled, false, 'the first answer came before the node was promoted');
    assert.equal(String(await reply), 'OK');
    await joined;
    leader.proxy.release(Op.apply);

    // A first attempt at adding a voter is refused, at its address or another.
    await assert.rejects(
      admin.command('CLUSTER', 'ADD', n4.id, peer),
      /ERR node n4 is already a voter/,
    );
    await assert.rejects(
      admin.command('CLUSTER', 'ADD', n4.id, '127.0.0.1:1'),
      /ERR node n4 is already a voter/,
    );
  } finally {
    await cluster.stop();
  }
});
