// Partition: iptables cuts the leader off from both followers (both
// directions). The old leader's side is a minority: it must stop
// acknowledging writes and say so with a clear error (-TRYAGAIN /
// -CLUSTERDOWN and a sentence), never a success that is later lost. The
// majority elects a leader and keeps serving. After healing, all nodes
// converge: every acknowledged write is on every node, and the whole history
// (including reads on the minority) is linearizable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import { outPath, withCluster } from './fault-fixture.js';
import { heal, partition } from './iptables.js';
import { judgeHistory, RecordedClient } from './recorded-client.js';
import { describeErrors, findLostWrites, WriteLoad } from './write-load.js';

test('a partitioned leader stops acknowledging; the majority serves; all converge after healing', async (t) => {
  await withCluster(t, 'partition', { partitions: true }, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader: old } = await cluster.waitForLeader();
    const majority = cluster.nodes.filter((n) => n.id !== old);
    const [m1, m2] = majority.map((n) => n.id) as [string, string];

    // Steady load through every node, and a shared register read and written on both sides.
    const loads = cluster.nodes.map((n) => new WriteLoad(cluster, n.id, `w${n.id}`, recorder));
    for (const l of loads) l.start();
    for (const l of loads) assert.ok(await l.waitAcks(20), `no writes through ${l.nodeId}`);
    const minority = new RecordedClient(recorder, await cluster.client(old, 8000), 'minority');
    const majorityClient = new RecordedClient(recorder, await cluster.client(m1, 8000), 'maj');
    assert.equal((await majorityClient.put('reg', 'before')).status, 'ok');

    const oldLoad = loads.find((l) => l.nodeId === old)!;
    const cutAt = performance.now();
    partition(
      [cluster.node(old).host],
      majority.map((n) => n.host),
    );
    t.diagnostic(`cut ${old} off from ${m1}, ${m2}`);

    // The majority elects a new leader and serves writes.
    const elected = await cluster.waitForLeader({ among: [m1, m2], timeoutMs: 20_000 });
    assert.notEqual(elected.leader, old);
    const majLoad = loads.find((l) => l.nodeId === m1)!;
    assert.ok(await majLoad.waitAcks(20, 20_000), 'the majority must keep serving writes');
    const firstWrite = majLoad.firstAckAfter(cutAt)! - cutAt;
    t.diagnostic(
      `failover (partition): leader ${elected.leader} seen after ${Math.round(elected.waitedMs)} ms; first write through ${m1} ${Math.round(firstWrite)} ms after the cut`,
    );
    assert.equal((await majorityClient.put('reg', 'after')).status, 'ok');

    // The minority: writes are refused with a clear error; a read must not return the
    // overwritten value as if current (the checker judges that from the history).
    const minorityErrors: string[] = [];
    for (let i = 0; i < 2; i++) {
      const w = await minority.put('reg', `minority-${i}`);
      assert.notEqual(w.status, 'ok', `the cut-off node acknowledged a write (attempt ${i})`);
      if (w.status !== 'ok') minorityErrors.push(w.error.message);
      await minority.get('reg');
    }
    const acksOnMinority = oldLoad.ackedSentSince(cutAt);
    assert.equal(acksOnMinority, 0, `${old} acknowledged writes sent after it was cut off`);
    const clear = minorityErrors.filter((m) => /^(TRYAGAIN|CLUSTERDOWN) \S+ \S+/.test(m));
    assert.ok(
      clear.length > 0 || oldLoad.replyErrors.size > 0,
      `the cut-off node gave no clear error, only: ${minorityErrors.join(' | ')}`,
    );
    for (const text of oldLoad.replyErrors.keys()) {
      assert.match(
        text,
        /^(TRYAGAIN|CLUSTERDOWN) \S+ \S+/,
        'errors must be retryable, with a sentence',
      );
    }
    t.diagnostic(
      `errors from the cut-off node ${old}: ${[...new Set(minorityErrors)].join(' | ')}`,
    );
    t.diagnostic(`write errors through ${old}:\n${describeErrors(oldLoad)}`);
    t.diagnostic(`write errors through ${m1}:\n${describeErrors(majLoad)}`);

    heal();
    await cluster.waitForLeader({ timeoutMs: 20_000 });
    // Let the healed node serve again before stopping the load.
    assert.ok(await oldLoad.waitAcks(5, 20_000), `${old} must serve again after healing`);
    for (const l of loads) await l.stop();
    assert.equal((await minority.get('reg')).status, 'ok');

    const lost = await findLostWrites(cluster, loads);
    assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
    for (const id of [old, m1, m2]) {
      const local = await cluster.readLocal(id, ['reg']);
      assert.notEqual(local.get('reg'), 'before', `${id} never saw the majority's write`);
    }
    const { result, report } = judgeHistory(recorder, outPath('partition-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});

// A connection is one client session: writes refused while its node was cut
// off must not leave that session unusable once the partition heals.
test('a connection whose writes were refused while cut off writes again after healing', async (t) => {
  await withCluster(t, 'partition-session', { partitions: true }, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader } = await cluster.waitForLeader();
    const cut = cluster.nodes.find((n) => n.id !== leader)!;
    const rest = cluster.nodes.filter((n) => n !== cut);
    const client = new RecordedClient(recorder, await cluster.client(cut.id, 8000), 'c');
    partition(
      [cut.host],
      rest.map((n) => n.host),
    );
    for (let i = 0; i < 2; i++) {
      const r = await client.put('k', `refused-${i}`);
      assert.notEqual(r.status, 'ok', 'a cut-off follower acknowledged a write');
    }
    heal();
    await cluster.waitForLeader();
    // Retryable refusals are fine for a few seconds while the node catches up; then it must write.
    const errors: string[] = [];
    const until = performance.now() + 10_000;
    let ok = false;
    while (!ok && performance.now() < until) {
      const r = await client.put('k', 'after-heal');
      ok = r.status === 'ok';
      if (r.status !== 'ok') errors.push(r.error.message);
      if (!ok) await sleep(200);
    }
    assert.ok(
      ok,
      `the same connection cannot write after healing:\n${[...new Set(errors)].join('\n')}`,
    );
    const { result, report } = judgeHistory(recorder, outPath('partition-session-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});
