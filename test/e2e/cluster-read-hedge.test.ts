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
// this one would wait most of a period for the next.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

const CYCLES = 20;
const HEARTBEAT_MS = 100;
/** A read slower than this waited for something other than the hedge and a round. */
const SLOW_MS = 50;
/**
 * The share of reads that may be that slow: at load average 25 (the full
 * suite beside other runs) the leader's timers ran up to tens of ms late
 * and 3 of 19 were; without the hedge nearly all are.
 */
const MOST_SLOW_SHARE = 0.35;

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
      // The other follower completes the rounds now.
      for (let j = 0; j < 5; j++) assert.equal(await client.getString('k'), 'v');
      resume(victim);
      if (i > 0) times.push(ms);
    }
    const slow = times.filter((ms) => ms >= SLOW_MS);
    t.diagnostic(
      `reads with the asked follower stopped, ms: ${times.map((ms) => Math.round(ms)).join(' ')}`,
    );
    assert.ok(
      slow.length <= MOST_SLOW_SHARE * times.length,
      `${slow.length} of ${times.length} reads took ${SLOW_MS} ms or more: ${slow.map(Math.round).join(', ')} ms`,
    );
  } finally {
    for (const n of cluster.nodes) resume(n);
    await cluster.stop();
  }
});
