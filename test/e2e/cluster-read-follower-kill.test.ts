// A follower killed under linearizable read load: a ReadIndex round asks
// only the follower that answered the last one first (thrifty read rounds,
// docs/raft.md), so when that follower dies its round waits for the next
// heartbeat, which asks every follower. Reads through the leader must go on
// with a pause of about a heartbeat (100 ms), never fail, and never wait
// for an election timeout or the 5 s read timeout.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

/** Well above a heartbeat plus a loaded machine's scheduling, well below the 5 s read timeout. */
const MOST_PAUSE_MS = 2000;

test('killing either follower under read load pauses linearizable reads on the leader for about a heartbeat', async (t) => {
  const cluster = await TestCluster.start(3);
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const followers = cluster.nodes.filter((n) => n.id !== leaderId);
    const client = await cluster.client(leader, 10_000);
    await client.put('k', 'v');
    for (const victim of followers) {
      const readers = [0, 1, 2, 3].map(async () => readLoop(await cluster.client(leader, 10_000)));
      const stops = readers.map(() => ({ stopped: false }));
      const loops = readers.map(async (r, i) => (await r)(stops[i] as { stopped: boolean }));
      await sleep(500);
      await cluster.kill9(victim);
      await sleep(1500);
      for (const s of stops) s.stopped = true;
      const results = await Promise.all(loops);
      const reads = results.reduce((n, r) => n + r.reads, 0);
      const longest = Math.max(...results.map((r) => r.longestMs));
      t.diagnostic(
        `follower ${victim.id} killed: ${reads} reads, the longest ${Math.round(longest)} ms`,
      );
      assert.ok(reads > 0, 'no read was served');
      assert.ok(
        longest < MOST_PAUSE_MS,
        `a read took ${Math.round(longest)} ms after ${victim.id} was killed`,
      );
      await restart(cluster, victim);
    }
  } finally {
    await cluster.stop();
  }
});

/** A reader that GETs one key until told to stop; every read must succeed. */
function readLoop(
  c: Awaited<ReturnType<TestCluster['client']>>,
): (stop: { stopped: boolean }) => Promise<{ reads: number; longestMs: number }> {
  return async (stop) => {
    let reads = 0;
    let longestMs = 0;
    while (!stop.stopped) {
      const started = performance.now();
      assert.equal(await c.getString('k'), 'v');
      longestMs = Math.max(longestMs, performance.now() - started);
      reads++;
    }
    return { reads, longestMs };
  };
}

async function restart(cluster: TestCluster, node: ClusterNodeProc): Promise<void> {
  await cluster.run(node);
  await cluster.waitForLeader();
  // Both followers answer again before the next victim.
  await sleep(1000);
}
