// Raft snapshots larger than a storage frame: with the engines' frame limit
// lowered to 256 KiB, a cluster holding ~3 MiB snapshots it, sends the
// snapshot to a follower that missed a lot, and to a brand-new member, in
// chunks on every hop (peer transport and storage socket).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mgetCatchingUp, TestCluster, type ClusterNodeProc } from './cluster-support.js';

const FRAME = 256 * 1024;
const VALUE = 'v'.repeat(1000);
const KEYS = 3000;
/** Keys per MSET and MSETs in flight: keeps one Ready's log write well inside a frame. */
const PER_MSET = 10;
const IN_FLIGHT = 4;

async function load(cluster: TestCluster, via: ClusterNodeProc, prefix: string): Promise<void> {
  const c = await cluster.client(via);
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < KEYS; i += PER_MSET) {
    const args: string[] = [];
    for (let j = i; j < i + PER_MSET; j++) args.push(`${prefix}-${j}`, `${VALUE}${j}`);
    const p: Promise<unknown> = c.command('MSET', ...args).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/**
 * Reads every key linearizably through `node`. Right after a restart or a
 * join the read waits for the node to install the snapshot and catch up,
 * which on a loaded machine can outlast the 5 s request timeout: TRYAGAIN
 * is retried for up to 30 s.
 */
async function assertAll(
  cluster: TestCluster,
  node: ClusterNodeProc,
  prefix: string,
): Promise<void> {
  const c = await cluster.client(node);
  const until = Date.now() + 30_000;
  for (let i = 0; i < KEYS; i += 500) {
    const keys = Array.from({ length: 500 }, (_, j) => `${prefix}-${i + j}`);
    const values = await mgetCatchingUp(c, keys, until);
    keys.forEach((k, j) =>
      assert.equal(values[j]?.toString(), `${VALUE}${i + j}`, `${k} on ${node.id}`),
    );
  }
}

test('snapshots larger than a storage frame reach a lagging follower and a new member', async () => {
  process.env['STORAGE_MAX_FRAME_SIZE'] = String(FRAME);
  const cluster = await TestCluster.start(3, ['--snapshot-every', '100', '--log-level', 'info']);
  try {
    const leaderId = await cluster.waitForLeader();
    const leader = cluster.node(leaderId);
    const follower = cluster.nodes.find((n) => n.id !== leaderId)!;

    await cluster.kill9(follower);
    await load(cluster, leader, 'k');
    // The leader holds compactions for a follower heard from within the last
    // round (catch-up-watch.ts): a load that ends sooner leaves the whole log
    // in place, and the restarted follower would catch up from it instead.
    await leader.proc!.waitFor(/snapshot taken; log compacted/, 30_000);
    await cluster.run(follower);
    await assertAll(cluster, follower, 'k');
    assert.match(follower.proc!.output(), /installed a snapshot from the leader/);
    // The leader sent its stored snapshot, read from the engine a chunk at a time.
    const sizes = [
      ...leader.proc!.output().matchAll(/"bytes":(\d+),"msg":"sending the stored snapshot/g),
    ];
    const largest = Math.max(0, ...sizes.map((m) => Number(m[1])));
    assert.ok(largest > 10 * FRAME, `largest snapshot ${largest} bytes, frame ${FRAME}`);

    const fresh = await cluster.addNodeSpec('n4');
    await cluster.run(fresh, ['--join', `127.0.0.1:${leader.peerPort}`]);
    // Its snapshot predates its admission: it is a member once the log after it arrives.
    const until = Date.now() + 30_000;
    while (
      !(await cluster.status(fresh)).members.some((m) => m.id === 'n4' && m.role === 'voter')
    ) {
      assert.ok(Date.now() < until, 'n4 did not become a voter');
      await sleep(100);
    }
    await assertAll(cluster, fresh, 'k');
    assert.match(fresh.proc!.output(), /installed a snapshot from the leader/);
  } finally {
    await cluster.stop();
    delete process.env['STORAGE_MAX_FRAME_SIZE'];
  }
});
