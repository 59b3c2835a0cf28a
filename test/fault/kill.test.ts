// kill -9 under a steady write load through every node: of the leader (its
// node process and its storage engine), and of just the storage engine on the
// leader and on a follower. A new leader takes over (the failover time is
// reported), the killed node comes back on its data dir and catches up, and
// every acknowledged write is readable from every node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import { outPath, withCluster } from './fault-fixture.js';
import { judgeHistory } from './recorded-client.js';
import { findLostWrites, WriteLoad } from './write-load.js';

const SNAPSHOTS = ['--snapshot-every', '50'];

test('leader kill -9 under load: a new leader serves, the old one rejoins, nothing acknowledged is lost', async (t) => {
  // Frequent snapshots: the restarted node is likely to catch up from one.
  await withCluster(t, 'kill-leader', { extraArgs: SNAPSHOTS }, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader: old } = await cluster.waitForLeader();
    const loads = cluster.nodes.map((n) =>
      new WriteLoad(cluster, n.id, `w${n.id}`, recorder).start(),
    );
    for (const l of loads) assert.ok(await l.waitAcks(20), `no writes through ${l.nodeId}`);

    const killedAt = performance.now();
    await cluster.kill(old);
    const survivors = cluster.nodes.filter((n) => n.id !== old).map((n) => n.id);
    const elected = await cluster.waitForLeader({ among: survivors, timeoutMs: 20_000 });
    const survivorLoads = loads.filter((l) => l.nodeId !== old);
    for (const l of survivorLoads) assert.ok(await l.waitAcks(20, 20_000), `${l.nodeId} stalled`);
    const firstWrite = Math.min(...survivorLoads.map((l) => l.firstAckAfter(killedAt)!)) - killedAt;
    t.diagnostic(
      `failover (kill -9 leader ${old}): ${elected.leader} leads after ${Math.round(elected.waitedMs)} ms; first write through a survivor after ${Math.round(firstWrite)} ms`,
    );

    await cluster.restart(old);
    const oldLoad = loads.find((l) => l.nodeId === old)!;
    assert.ok(await oldLoad.waitAcks(10, 20_000), `${old} must serve again after its restart`);
    for (const l of loads) await l.stop();
    const lost = await findLostWrites(cluster, loads);
    assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
    const { result, report } = judgeHistory(recorder, outPath('kill-leader-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});

test('storage engine kill -9 on the leader and on a follower: the nodes recover, nothing acknowledged is lost', async (t) => {
  await withCluster(t, 'kill-storage', {}, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader } = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
    const loads = cluster.nodes.map((n) =>
      new WriteLoad(cluster, n.id, `w${n.id}`, recorder).start(),
    );
    for (const l of loads) assert.ok(await l.waitAcks(20), `no writes through ${l.nodeId}`);

    for (const id of [leader, follower]) {
      const killed = cluster.killStorage(id);
      assert.ok(killed.length > 0, `no storage engine found for ${id}`);
      t.diagnostic(`killed the storage engine of ${id} (pid ${killed.join(',')})`);
      await sleep(300);
      // Every node keeps (or again) takes writes once the engine is back.
      for (const l of loads) assert.ok(await l.waitAcks(10, 30_000), `${l.nodeId} stalled`);
    }
    for (const l of loads) await l.stop();
    const lost = await findLostWrites(cluster, loads);
    assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
    const { result, report } = judgeHistory(recorder, outPath('kill-storage-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});
