// CLUSTER TRANSFER-LEADER to a node whose promotion to voter it shows
// itself, sent before the leader has applied that promotion: the leader
// sends the commit of a conf change to the others before its own write of
// that commit index (docs/cluster.md, "Membership changes and restart"), so
// the new voter may apply the change first. The leader waits for its own
// apply and hands over; it does not refuse with "not a voter". The leader's
// engine holds its Raft log appends (test/helpers/storage-proxy.ts) from
// the promotion on: the entry's append is let through, the commit's is held
// until the request has reached the leader. Meanwhile the promotion is
// committed but not in effect on the leader: it proposes it only once.

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

function count(lines: string[], line: RegExp): number {
  return lines.filter((l) => line.test(l)).length;
}

test('TRANSFER-LEADER to a new voter the leader has not yet applied the promotion of hands over', async () => {
  const cluster = await ProxiedCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const admin = await cluster.client(leader);
    const spec = await nodeSpec('n4');
    // Added before it runs, it stays a learner: nothing is proposed until it answers.
    assert.equal(
      await admin.command('CLUSTER', 'ADD', spec.id, `127.0.0.1:${spec.peerPort}`),
      'OK',
    );

    leader.proxy.hold(Op.raftAppend);
    const n4 = await cluster.join(spec, leader);
    // The leader's next log write is the promotion's entry: let it through.
    await leader.proxy.waitHeld(Op.raftAppend);
    leader.proxy.release(Op.raftAppend);
    leader.proxy.hold(Op.raftAppend);
    // The next is the commit index covering it, written before the change takes effect.
    await leader.proxy.waitHeld(Op.raftAppend);
    const own = await cluster.client(n4);
    for (let i = 0; (await roleOf(own, n4.id)) !== 'voter'; i++) {
      assert.ok(i < 200, 'n4 never applied its promotion');
      await sleep(10);
    }
    assert.equal(await roleOf(admin, n4.id), 'learner', 'the leader applied the promotion first');

    const transfer = admin.command('CLUSTER', 'TRANSFER-LEADER', n4.id);
    transfer.catch(() => undefined); // awaited below
    await sleep(200); // time for the request to reach the leader
    leader.proxy.release(Op.raftAppend);
    assert.equal(String(await transfer), 'OK');
    assert.equal((await cluster.waitForLeader()).id, n4.id);
    const lines = leader.coordinator.output().split('\n');
    const promotion = lines.filter((l) => /promot/.test(l)).join('\n');
    assert.equal(count(lines, /"learner":"n4".*learner caught up; promoting it/), 1, promotion);
    assert.equal(count(lines, /promotion not done yet/), 0, promotion);
  } finally {
    await cluster.stop();
  }
});
