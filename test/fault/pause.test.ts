// Pause: SIGSTOP the leader's `distdb node` process for longer than an
// election timeout, then SIGCONT. Meanwhile the others elect a leader and
// take writes. The old leader must step down, must not acknowledge anything
// it cannot commit, and must not serve a stale read: writes in flight to it
// (sent before and during the pause) either fail with a clear error or are
// committed, and the whole history is linearizable.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import { ReplyError } from '../../src/index.js';
import { outPath, withCluster } from './fault-fixture.js';
import { heal, partition } from './iptables.js';
import { judgeHistory, RecordedClient, type Outcome } from './recorded-client.js';
import { findLostWrites, WriteLoad } from './write-load.js';

/** Longer than the longest election timeout (2 × 10 ticks × 100 ms) with room to spare. */
const PAUSE_MS = 4000;

test('a paused leader steps down after SIGCONT and acknowledges only committed writes', async (t) => {
  await withCluster(t, 'pause', {}, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader: old, term: oldTerm } = await cluster.waitForLeader();
    const followers = cluster.nodes.filter((n) => n.id !== old).map((n) => n.id);
    const loads = followers.map((id) => new WriteLoad(cluster, id, `w${id}`, recorder).start());
    for (const l of loads) assert.ok(await l.waitAcks(10), `no writes through ${l.nodeId}`);

    const toOld = await cluster.client(old, 20_000);
    // Readers on connections of their own: a read must not wait behind the writes above.
    const readers = await Promise.all([0, 1, 2].map(() => cluster.client(old, 20_000)));
    const viaFollower = new RecordedClient(
      recorder,
      await cluster.client(followers[0]!, 8000),
      'f',
    );
    assert.equal((await viaFollower.put('reg', 'before')).status, 'ok');

    // Writes in flight to the leader as it stops, and more sent while it is stopped.
    const inflight: Array<{ key: string; value: string; done: Promise<Outcome<void>> }> = [];
    const send = (i: number): void => {
      const rc = new RecordedClient(recorder, toOld, `inflight${i}`);
      const key = `inflight:${i}`;
      inflight.push({ key, value: `v${i}`, done: rc.put(key, `v${i}`) });
    };
    for (let i = 0; i < 10; i++) send(i);
    cluster.pause(old);
    const pausedAt = performance.now();
    for (let i = 10; i < 20; i++) send(i);

    const elected = await cluster.waitForLeader({ among: followers, timeoutMs: 20_000 });
    assert.ok(elected.term > oldTerm, 'the new leader must have a later term');
    t.diagnostic(
      `failover (pause): ${elected.leader} leads ${Math.round(elected.waitedMs)} ms after SIGSTOP`,
    );
    assert.equal((await viaFollower.put('reg', 'after')).status, 'ok');
    // Invoked after 'after' was acknowledged: the old leader must not answer 'before'.
    const staleReads = readers.map((c, i) =>
      new RecordedClient(recorder, c, `reader${i}`).get('reg'),
    );
    send(20);

    const left = PAUSE_MS - (performance.now() - pausedAt);
    if (left > 0) await sleep(left);
    cluster.resume(old);

    // It steps down: a follower of the new term.
    const until = performance.now() + 15_000;
    let st = await cluster.status(old);
    while (!(st && st.role !== 'leader' && st.term >= elected.term)) {
      assert.ok(performance.now() < until, `${old} did not step down: ${JSON.stringify(st)}`);
      await sleep(100);
      st = await cluster.status(old);
    }

    const outcomes = await Promise.all(inflight.map((w) => w.done));
    const reads = await Promise.all(staleReads);
    t.diagnostic(
      `reads sent to the paused old leader after the new write: ${reads.map((r) => (r.status === 'ok' ? JSON.stringify(r.value) : r.error.message)).join(' | ')}`,
    );
    const acked = new Map<string, string>();
    outcomes.forEach((o, i) => {
      const w = inflight[i]!;
      if (o.status === 'ok') acked.set(w.key, w.value);
      else {
        assert.ok(o.error instanceof ReplyError, `${w.key}: no clear answer: ${o.error.message}`);
        assert.match(o.error.message, /^(TRYAGAIN|CLUSTERDOWN|ERR) \S+ \S+/);
      }
    });
    t.diagnostic(
      `in-flight writes to the paused leader: ${acked.size} acknowledged, ${outcomes.length - acked.size} refused: ${[
        ...new Set(outcomes.flatMap((o) => (o.status === 'ok' ? [] : [o.error.message]))),
      ].join(' | ')}`,
    );

    for (const l of loads) await l.stop();
    await toOld.close();
    const lost = await findLostWrites(cluster, [
      ...loads,
      { nodeId: old, acked, attempted: inflight.map((w) => w.key) },
    ]);
    assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
    const { result, report } = judgeHistory(recorder, outPath('pause-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});

// The classic lease bug: a leader that wakes from a long pause still cut off
// must not believe it still leads — no stale read, no acknowledged write.
// With --read-lease too: its ticks stopped with it, so only the ticks it
// catches up from the clock (tick-clock.ts) tell it its lease ran out.
for (const mode of ['safe', 'lease'] as const) {
  test(`a paused leader that wakes up cut off serves no stale read and acknowledges nothing (${mode} reads)`, async (t) => {
    await pausedLeaderWakesCutOff(t, mode);
  });
}

async function pausedLeaderWakesCutOff(t: TestContext, mode: 'safe' | 'lease'): Promise<void> {
  const extraArgs = mode === 'lease' ? ['--read-lease'] : [];
  await withCluster(t, `pause-cut-${mode}`, { partitions: true, extraArgs }, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader: old } = await cluster.waitForLeader();
    const followers = cluster.nodes.filter((n) => n.id !== old).map((n) => n.id);
    const viaFollower = new RecordedClient(
      recorder,
      await cluster.client(followers[0]!, 8000),
      'f',
    );
    const readers = await Promise.all([0, 1, 2].map(() => cluster.client(old, 8000)));
    const writer = new RecordedClient(recorder, await cluster.client(old, 8000), 'w');
    assert.equal((await viaFollower.put('reg', 'before')).status, 'ok');
    assert.equal((await writer.put('reg', 'before2')).status, 'ok');

    cluster.pause(old);
    partition(
      [cluster.node(old).host],
      followers.map((id) => cluster.node(id).host),
    );
    await cluster.waitForLeader({ among: followers, timeoutMs: 20_000 });
    assert.equal((await viaFollower.put('reg', 'after')).status, 'ok');
    // Sent while it is still stopped, so that it handles them as it wakes,
    // before its timer's first tick: what it knows of time then is what it
    // catches up from the clock (with a tick first, a CheckQuorum step-down
    // could hide a lease judged by too few ticks).
    const reads = readers.map((c, i) => new RecordedClient(recorder, c, `r${i}`).get('reg'));
    const write = writer.put('reg', 'from-the-old-leader');
    await sleep(100);
    cluster.resume(old);
    const outcomes = [...(await Promise.all(reads)), await write];
    for (const o of outcomes) {
      assert.notEqual(o.status, 'ok', `the cut-off old leader answered: ${JSON.stringify(o)}`);
    }
    t.diagnostic(
      `the woken, cut-off old leader answered: ${outcomes.map((o) => (o.status === 'ok' ? 'ok' : o.error.message)).join(' | ')}`,
    );

    heal();
    await cluster.waitConverged();
    assert.equal(
      (await new RecordedClient(recorder, readers[0]!, 'final').get('reg')).status,
      'ok',
    );
    const { result, report } = judgeHistory(recorder, outPath(`pause-cut-${mode}-history`, 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
}
