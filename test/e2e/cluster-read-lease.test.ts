// Lease reads (--read-lease, docs/cluster.md "Lease reads"): the leader
// answers a linearizable read on its lease, without asking a follower. Here
// both followers are stopped (SIGSTOP of their node processes): a read right
// after is still answered, since the heartbeat round a quorum answered last
// holds the lease for 700 ms from when it was sent; a read once the lease has
// run out waits for the followers, and gets the value once they are back.
// With the lease switched off in the built code, none of the three tries
// was answered. What keeps a paused leader from trusting a lease it slept
// through is test/fault/pause.test.ts (lease reads).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '../../src/client/index.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';
import { runDistdb } from './node-helpers.js';

/** Well inside the 700 ms lease; a read answered later than this is not counted. */
const ANSWER_MS = 400;
/** Past the lease and the longest tick phase. */
const LEASE_OVER_MS = 1200;

/** Resolves to the reply, or to 'late' if none came within `ms` (the read goes on). */
async function within(ms: number, read: Promise<string | null>): Promise<string | null | 'late'> {
  return Promise.race([read, sleep(ms).then(() => 'late' as const)]);
}

test('with --read-lease the leader answers reads while both followers are stopped, until its lease runs out', async (t) => {
  const cluster = await TestCluster.start(3, ['--read-lease']);
  const stopped = new Set<number>();
  const stop = (n: ClusterNodeProc): void => {
    const pid = n.proc?.pid as number;
    process.kill(pid, 'SIGSTOP');
    stopped.add(pid);
  };
  const resumeAll = (): void => {
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
    stopped.clear();
  };
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const followers = cluster.nodes.filter((n) => n.id !== leaderId);
    for (const n of cluster.nodes) assert.equal((await cluster.status(n)).reads, 'lease', n.id);
    const shown = await runDistdb(['cluster', 'status', '--port', String(leader.port)]);
    assert.match(shown.stdout, /, lease reads\n/, 'distdb cluster status names the read mode');
    const writer = await cluster.client(leader, 10_000);
    await writer.put('k', 'v1');
    assert.equal(await writer.getString('k'), 'v1');

    // A loaded machine may hold the read past the lease: up to three tries,
    // each on its own connection, with the followers back in between.
    const tries: string[] = [];
    for (let i = 0; i < 3 && !tries.includes('v1'); i++) {
      const reader: Client = await cluster.client(leader, 10_000);
      await sleep(300); // heartbeats a quorum answers renew the lease
      for (const f of followers) stop(f);
      const started = performance.now();
      const got = await within(ANSWER_MS, reader.getString('k'));
      const ms = Math.round(performance.now() - started);
      tries.push(got === 'v1' ? 'v1' : `${String(got)} in ${ms} ms`);
      resumeAll();
    }
    t.diagnostic(`reads with both followers stopped: ${tries.join(', ')}`);
    assert.ok(tries.includes('v1'), `no read was answered on the lease: ${tries.join(', ')}`);

    // Past the lease, a read waits for a quorum.
    await sleep(300);
    for (const f of followers) stop(f);
    await sleep(LEASE_OVER_MS);
    const reader = await cluster.client(leader, 15_000);
    const pending = reader.getString('k').catch((e: unknown) => `error: ${(e as Error).message}`);
    assert.equal(await within(500, pending), 'late', 'answered without a quorum past the lease');
    resumeAll();
    const after = await pending;
    t.diagnostic(`the read that waited: ${String(after)}`);
    assert.ok(
      after === 'v1' || /^error: (TRYAGAIN|CLUSTERDOWN)/.test(String(after)),
      String(after),
    );
  } finally {
    resumeAll();
    await cluster.stop();
  }
});
