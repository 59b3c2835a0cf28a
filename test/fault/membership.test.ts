// Membership under load: a fourth node joins (learner, caught up, promoted to
// voter), leadership moves to it, and the old leader is removed — while
// writes flow through every node. No acknowledged write may be lost, and
// every remaining node ends with the same data.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import type { TestCluster } from './cluster-harness.js';
import { outPath, withCluster } from './fault-fixture.js';
import { judgeHistory } from './recorded-client.js';
import { describeErrors, findLostWrites, WriteLoad } from './write-load.js';

/** Polls `ok` every 100 ms until it holds; fails with `what` after `ms`. */
async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = performance.now() + ms;
  while (!(await ok())) {
    assert.ok(performance.now() < until, `timed out waiting: ${what}`);
    await sleep(100);
  }
}

async function roleOf(cluster: TestCluster, asker: string, id: string): Promise<string | null> {
  const st = await cluster.status(asker);
  return st?.members.find((m) => m.id === id)?.role ?? null;
}

test('membership under load: add a node, move leadership to it, remove the old leader; nothing acknowledged is lost', async (t) => {
  await withCluster(
    t,
    'membership',
    { extraArgs: ['--snapshot-every', '100'] },
    async (cluster) => {
      const recorder = new HistoryRecorder();
      const { leader: old } = await cluster.waitForLeader();
      t.diagnostic(`${old} leads`);
      const loads = cluster.nodes.map((n) =>
        new WriteLoad(cluster, n.id, `w${n.id}`, recorder).start(),
      );
      for (const l of loads) assert.ok(await l.waitAcks(50), `no writes through ${l.nodeId}`);

      const added = await cluster.join(old);
      await waitUntil(`${added.id} to become a voter`, async () => {
        return (await roleOf(cluster, old, added.id)) === 'voter';
      });
      t.diagnostic(`${added.id} joined and was promoted to voter`);
      const addedLoad = new WriteLoad(cluster, added.id, `w${added.id}`, recorder).start();
      loads.push(addedLoad);
      assert.ok(await addedLoad.waitAcks(20), `no writes through the new node ${added.id}`);

      const admin = await cluster.client(added.id, 10_000);
      const moved = await admin.command('CLUSTER', 'TRANSFER-LEADER', added.id);
      t.diagnostic(`CLUSTER TRANSFER-LEADER ${added.id} → ${JSON.stringify(moved)}`);
      await waitUntil(`${added.id} to lead`, async () => {
        const st = await cluster.status(added.id);
        return st?.role === 'leader';
      });
      await cluster.waitForLeader();
      for (const l of loads)
        assert.ok(
          await l.waitAcks(20),
          `${l.nodeId} stalled after the transfer:\n${describeErrors(l)}`,
        );

      const removed = await admin.command('CLUSTER', 'REMOVE', old);
      t.diagnostic(`CLUSTER REMOVE ${old} → ${JSON.stringify(removed)}`);
      await waitUntil(`${old} to leave the membership`, async () => {
        return (await roleOf(cluster, added.id, old)) === null;
      });
      const oldLoad = loads.find((l) => l.nodeId === old)!;
      await oldLoad.stop();
      await cluster.forget(old);
      for (const l of loads) {
        if (l !== oldLoad)
          assert.ok(
            await l.waitAcks(20),
            `${l.nodeId} stalled after the removal:\n${describeErrors(l)}`,
          );
      }
      for (const l of loads) await l.stop();

      const st = await cluster.waitConverged();
      const members = [...st.values()][0]!.members.map((m) => `${m.id}:${m.role}`).sort();
      assert.deepEqual(
        members,
        cluster.nodes.map((n) => `${n.id}:voter`).sort(),
        'the remaining nodes are the voters',
      );
      const lost = await findLostWrites(cluster, loads);
      assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
      const { result, report } = judgeHistory(recorder, outPath('membership-history', 'json'));
      assert.equal(result.verdict, 'ok', report);
    },
  );
});
