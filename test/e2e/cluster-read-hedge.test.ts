// A slow but live follower must not hold a linearizable read for a
// heartbeat interval. A ReadIndex round asks only the follower that answered
// the last one first (thrifty read rounds, docs/raft.md); the leader hedges
// a round that waited READ_HEDGE_MS (10 ms) by asking the other follower
// too. Here the followers are stopped in turn (SIGSTOP of the coordinator by
// PID, as a GC pause or a stalled disk would hold it) while the leader
// serves a read: stopping the follower that completed the previous read
// stops the one the next round asks. Each such read starts two heartbeat
// periods and a little after the previous one ended: without the hedge that
// one ended just after a heartbeat (which asked the other follower), so
// this one would wait most of a period for the next. What a read waited
// for is its time beyond an ordinary read's at that moment: the median of
// the five reads right after it, which the other follower completes. A
// loaded machine slows both alike.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

const CYCLES = 40;
const HEARTBEAT_MS = 100;
/** A read this much slower than an ordinary one waited for something other than the hedge. */
const SLOW_MS = 50;
/**
 * The share of reads that may be that slow: the leader's timers run late on
 * a loaded machine. Measured at load average 13-22 (full runs beside this
 * one), 19 reads each: with the hedge, 4 and 2 were (in absolute time 3 to
 * 9 were over 50 ms, which failed the test at its old bound, 35%, in a full
 * run); with it disabled, 13 and 16 were.
 */
const MOST_SLOW_SHARE = 0.4;

test('a stopped follower that the read round asked does not hold linearizable reads for a heartbeat', async (t) => {
  const cluster = await TestCluster.start(3);
  const stopped = new Set<number>();
  const resume = (n: ClusterNodeProc): void => {
    const pid = n.proc?.pid;
    if (pid === undefined || !stopped.delete(pid)) return;
    process.kill(pid, 'SIGCONT');
  };
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const followers = cluster.nodes.filter((n) => n.id !== leaderId);
    const client = await cluster.client(leader, 10_000);
    await client.put('k', 'v');
    for (let i = 0; i < 50; i++) assert.equal(await client.getString('k'), 'v');
    const times: number[] = [];
    const excess: number[] = [];
    let next = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      await sleep(Math.max(0, next - performance.now()));
      // After the first cycle, the victim completed the last read: the next round asks it alone.
      const victim = followers[i % 2] as ClusterNodeProc;
      const pid = victim.proc?.pid as number;
      process.kill(pid, 'SIGSTOP');
      stopped.add(pid);
      const started = performance.now();
      assert.equal(await client.getString('k'), 'v');
      const ended = performance.now();
      const ms = ended - started;
      next = ended + 2 * HEARTBEAT_MS + 10;
      // The other follower completes the rounds now: ordinary reads.
      const ordinary: number[] = [];
      for (let j = 0; j < 5; j++) {
        const t0 = performance.now();
        assert.equal(await client.getString('k'), 'v');
        ordinary.push(performance.now() - t0);
      }
      resume(victim);
      const median = ordinary.sort((a, b) => a - b)[2]!;
      if (i > 0) {
        times.push(ms);
        excess.push(ms - median);
      }
    }
    const slow = excess.filter((ms) => ms >= SLOW_MS);
    const ms = (all: number[]): string => all.map((x) => Math.round(x)).join(' ');
    t.diagnostic(`reads with the asked follower stopped, ms: ${ms(times)}`);
    t.diagnostic(`their time beyond an ordinary read's, ms: ${ms(excess)}`);
    assert.ok(
      slow.length <= MOST_SLOW_SHARE * excess.length,
      `${slow.length} of ${excess.length} reads took ${SLOW_MS} ms or more beyond an ordinary read: ${ms(slow)}`,
    );
  } finally {
    for (const n of cluster.nodes) resume(n);
    await cluster.stop();
  }
});
