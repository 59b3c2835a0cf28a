// CLUSTER REMOVE of the leader, sent through a follower: the follower
// forwards it to the leader, and once the follower applies the removal it
// drops the leader from its peers, which fails the forwarded request if the
// leader's answer has not arrived yet. The follower retries on the next
// leader, which no longer finds the node: the removal the request asked for
// is done, so the answer is OK, not "not a member". A first attempt at
// removing a node that is not a member still gets that error.
// The leader answers once its own apply of the removal is answered, so the
// test holds its engine's apply replies (test/helpers/storage-proxy.ts)
// until the follower has applied the removal: the answer is lost every run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import type { Client } from '../../src/index.js';
import { Op } from '../../src/storage/protocol.js';
import { ProxiedCluster } from './proxied-cluster-support.js';

async function members(c: Client): Promise<string[]> {
  const s = JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
  return s.members.map((m) => m.id).sort();
}

test('CLUSTER REMOVE of the leader through a follower answers OK when the answer is lost', async () => {
  const cluster = await ProxiedCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const followers = cluster.nodes.filter((n) => n !== leader);
    const via = followers[0]!;
    const admin = await cluster.client(via);
    await assert.rejects(admin.command('CLUSTER', 'REMOVE', 'n9'), /ERR node n9 is not a member/);

    leader.proxy.hold(Op.apply);
    const reply = admin.command('CLUSTER', 'REMOVE', leader.id);
    reply.catch(() => undefined); // awaited below
    for (let i = 0; (await members(admin)).length !== 2; i++) {
      assert.ok(i < 200, `${via.id} never applied the removal of ${leader.id}`);
      await sleep(50);
    }
    assert.deepEqual(await members(admin), followers.map((n) => n.id).sort());
    leader.proxy.release(Op.apply);
    assert.equal(String(await reply), 'OK');

    // Done once; asked again, it is a first attempt at a node that is not a member.
    await assert.rejects(
      admin.command('CLUSTER', 'REMOVE', leader.id),
      new RegExp(`ERR node ${leader.id} is not a member`),
    );
  } finally {
    await cluster.stop();
  }
});
