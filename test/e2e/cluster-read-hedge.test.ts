// A slow but live follower must not hold a linearizable read for a
// heartbeat interval. A ReadIndex round asks only the follower that answered
// the last one first (thrifty read rounds, docs/raft.md); the leader hedges
// a round that waited READ_HEDGE_MS by asking the other follower too. Here
// the followers are stopped in turn (SIGSTOP of the coordinator by PID, as
// a GC pause or a stalled disk would hold it) while the leader serves a
// read: stopping the follower that completed the previous read stops the
// one the next round asks. Without the hedge such a read waits for the
// next heartbeat, at a random point of its 100 ms period: about half of
// them would take 50 ms or more.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

const CYCLES = 20;
/** A read slower than this waited for something other than the hedge (10 ms) and a round. */
const SLOW_MS = 50;
/** Reads this slow may happen on a loaded machine; without the hedge about half would be. */
const MOST_SLOW = 5;

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
    for (let i = 0; i < CYCLES; i++) {
      // After the first cycle, the victim completed the last read: the next round asks it alone.
      const victim = followers[i % 2] as ClusterNodeProc;
      const pid = victim.proc?.pid as number;
      process.kill(pid, 'SIGSTOP');
      stopped.add(pid);
      const started = performance.now();
      assert.equal(await client.getString('k'), 'v');
      const ms = performance.now() - started;
      // The other follower completes the rounds now.
      for (let j = 0; j < 5; j++) assert.equal(await client.getString('k'), 'v');
      resume(victim);
      if (i > 0) times.push(ms);
      // At a random point of the heartbeat's period: a fixed pause would lock onto it.
      await sleep(150 + Math.random() * 100);
    }
    const slow = times.filter((ms) => ms >= SLOW_MS);
    t.diagnostic(
      `reads with the asked follower stopped, ms: ${times.map((ms) => Math.round(ms)).join(' ')}`,
    );
    assert.ok(
      slow.length <= MOST_SLOW,
      `${slow.length} of ${times.length} reads took ${SLOW_MS} ms or more: ${slow.map(Math.round).join(', ')} ms`,
    );
  } finally {
    for (const n of cluster.nodes) resume(n);
    await cluster.stop();
  }
});
