// Lazy followers under a cut link (docs/cluster.md, "Lazy followers"): with
// clients on the leader only, one follower of three is lazy and the other is
// the leader's partner. iptables then cuts the link between the leader and
// its partner (both directions, only those two addresses), for longer than
// an election timeout and the peer connections' idle timeout. The leader
// keeps its quorum through the lazy follower: writes and reads go on with no
// stall near an election timeout, the same leader stays in the same term
// (the cut-off partner's pre-votes are refused), and the lazy follower turns
// partner at the next tick. After healing one follower is lazy again, every
// acknowledged write is on every node, and the history is linearizable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import type { TestCluster } from './cluster-harness.js';
import { outPath, withCluster } from './fault-fixture.js';
import { activeCuts, cut, heal } from './iptables.js';
import { judgeHistory, RecordedClient } from './recorded-client.js';
import { describeErrors, findLostWrites, WriteLoad } from './write-load.js';

/** Longer than the longest election timeout (2 s) and the peer idle timeout (5 s). */
const CUT_MS = 6500;
/** A stall this long would be an election's worth: the lazy follower did not stand in. */
const MAX_GAP_MS = 1000;

/** The followers the leader lists as lazy, or null when it does not answer or no longer leads. */
async function lazyOn(cluster: TestCluster, leader: string): Promise<string[] | null> {
  const s = await cluster.status(leader);
  if (s === null || s.role !== 'leader') return null;
  return s.members.filter((m) => m.lazy === true).map((m) => m.id);
}

/** Polls the leader until it lists `want` lazy followers; the list and how long it took. */
async function waitLazy(
  cluster: TestCluster,
  leader: string,
  want: number,
  timeoutMs: number,
  why: string,
): Promise<{ lazy: string[]; waitedMs: number }> {
  const started = performance.now();
  let lazy: string[] | null = null;
  while (performance.now() - started < timeoutMs) {
    lazy = await lazyOn(cluster, leader);
    if (lazy?.length === want) return { lazy, waitedMs: performance.now() - started };
    await sleep(20);
  }
  assert.fail(`${why}: within ${timeoutMs} ms ${leader} lists ${JSON.stringify(lazy)} as lazy`);
}

/** The longest time in [from, to] with no acknowledgement, counting from `from`. */
function longestGap(ackTimes: readonly number[], from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const at of ackTimes) {
    if (at < from) continue;
    if (at > to) break;
    gap = Math.max(gap, at - last);
    last = at;
  }
  return Math.max(gap, to - last);
}

/** Reads and writes one register through the leader: read rounds meet the cut too. */
class RegisterLoad {
  readonly okAt: number[] = [];
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(private readonly rc: RecordedClient) {}

  start(): this {
    this.running = this.loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const r = i % 2 === 0 ? await this.rc.put('reg', `r${i}`) : await this.rc.get('reg');
      if (r.status === 'ok') this.okAt.push(performance.now());
      await sleep(r.status === 'ok' ? 2 : 50);
    }
  }
}

test('the leader cut from its partner keeps its quorum through the lazy follower, which becomes the partner', async (t) => {
  await withCluster(t, 'lazy-follower', { partitions: true }, async (cluster) => {
    const recorder = new HistoryRecorder();
    const { leader, term } = await cluster.waitForLeader();
    const writes = new WriteLoad(cluster, leader, 'w', recorder).start();
    const register = new RegisterLoad(
      new RecordedClient(recorder, await cluster.client(leader, 8000), 'reg'),
    ).start();
    cluster.onStop(() => register.stop());
    assert.ok(await writes.waitAcks(20), `no writes through ${leader}`);

    // Clients on the leader only: one follower is lazy, the other its partner.
    await waitLazy(cluster, leader, 1, 10_000, 'one follower lazy before the cut');
    assert.ok(await writes.waitAcks(20), 'writes go on with a lazy follower');
    // Asked again just before the cut: a loaded machine may have swapped them meanwhile.
    const {
      lazy: [lazy],
    } = await waitLazy(cluster, leader, 1, 10_000, 'one follower lazy');
    assert.ok(lazy !== undefined);
    const partner = cluster.nodes.find((n) => n.id !== leader && n.id !== lazy)!.id;

    const cutAt = performance.now();
    cut(cluster.node(leader).host, cluster.node(partner).host);
    t.diagnostic(`cut ${leader} (leader) from ${partner} (partner); ${lazy} was lazy`);
    const turned = await waitLazy(cluster, leader, 0, 5000, `${lazy} must become the partner`);
    const sinceCut = performance.now() - cutAt;
    const shown = await cluster.status(leader);
    assert.equal(
      shown?.members.find((m) => m.id === lazy)?.lazy,
      false,
      `${lazy} is no longer lazy`,
    );
    // Past an election timeout and the idle timeout: the partner's pre-votes, a broken connection.
    await sleep(Math.max(0, CUT_MS - sinceCut));
    const during = await cluster.status(leader);
    assert.equal(during?.role, 'leader', `${leader} must keep leading through the lazy follower`);
    assert.equal(during?.term, term, `${leader} must stay in term ${term}`);
    assert.deepEqual(await lazyOn(cluster, leader), [], 'nobody is lazy while the partner is cut');
    const healAt = performance.now();
    const [a, b] = [cluster.node(leader).host, cluster.node(partner).host];
    assert.deepEqual(activeCuts().sort(), [`${a}>${b}`, `${b}>${a}`].sort(), 'only that link');
    heal();

    const writeGap = longestGap(
      writes.acks.map((a) => a.ackedAt),
      cutAt,
      healAt,
    );
    const registerGap = longestGap(register.okAt, cutAt, healAt);
    const acksDuringCut = writes.acks.filter((a) => a.ackedAt >= cutAt && a.ackedAt <= healAt);
    const slowest = Math.max(...acksDuringCut.map((a) => a.ackedAt - a.sentAt));
    t.diagnostic(
      `during the ${Math.round(healAt - cutAt)} ms cut: ${acksDuringCut.length} writes acknowledged, ` +
        `the slowest in ${Math.round(slowest)} ms; longest gap between write acks ${Math.round(writeGap)} ms, ` +
        `between register ops ${Math.round(registerGap)} ms; the leader listed no lazy follower ` +
        `${Math.round(turned.waitedMs)} ms after the cut`,
    );
    t.diagnostic(`write errors through ${leader}: ${describeErrors(writes).replace(/\n/g, '; ')}`);
    assert.ok(
      acksDuringCut.length >= 20,
      `only ${acksDuringCut.length} writes acked during the cut`,
    );
    assert.ok(writeGap < MAX_GAP_MS, `writes stalled ${Math.round(writeGap)} ms during the cut`);
    assert.ok(
      registerGap < MAX_GAP_MS,
      `register reads and writes stalled ${Math.round(registerGap)} ms during the cut`,
    );

    // Healed: the cut-off follower catches up and one follower is lazy again.
    const again = await waitLazy(cluster, leader, 1, 20_000, 'one follower lazy after healing');
    t.diagnostic(
      `after healing ${again.lazy[0]} is lazy again (${Math.round(again.waitedMs)} ms after the heal)`,
    );
    assert.ok(await writes.waitAcks(20), 'writes go on after healing');
    await writes.stop();
    await register.stop();
    const still = await cluster.status(leader);
    assert.equal(still?.term, term, `${leader} must still lead in term ${term}`);

    const lost = await findLostWrites(cluster, [writes]);
    assert.deepEqual(lost, [], lost.slice(0, 20).join('\n'));
    const { result, report } = judgeHistory(recorder, outPath('lazy-follower-history', 'json'));
    assert.equal(result.verdict, 'ok', report);
  });
});
