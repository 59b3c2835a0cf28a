// A follower whose catch-up takes long — a snapshot transfer of many
// chunks, then an install that lasts 15 s (its engine's install commit
// reply held, test/helpers/storage-proxy.ts: a large image on a slow
// machine) — while the leader keeps writing. The leader holds its
// compactions as long as the follower makes progress, whatever the log
// grows to meanwhile (here many times the 4 × --snapshot-bytes that once
// bounded the hold, and longer than a follower may stay silent: it says it
// is installing), so the follower installs one snapshot and goes on from
// the log. Past --compaction-hold-bytes the leader compacts anyway and says
// so at warn level; the follower then catches up from a newer snapshot.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import type { Client } from '../../src/index.js';
import { Op } from '../../src/storage/protocol.js';
import { putBigValues } from './cluster-support.js';
import { nodeSpec, ProxiedCluster, type ProxiedNode } from './proxied-cluster-support.js';

const SNAPSHOT_BYTES = 256 * 1024;
const INSTALL_HELD_MS = 15_000;
const VALUE = 'x'.repeat(1024);

async function status(c: Client): Promise<ClusterStatus> {
  return JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
}

/** Puts `value` (1 KiB) through `c`, 16 at a time, until stop(); counts what was acknowledged. */
function writeUntilStopped(c: Client, value = VALUE): { stop(): Promise<number> } {
  let writing = true;
  let written = 0;
  const done = (async () => {
    for (let i = 0; writing; i += 16) {
      await Promise.all(Array.from({ length: 16 }, (_, j) => c.put(`w-${(i + j) % 5000}`, value)));
      written += 16;
    }
  })();
  return {
    async stop() {
      writing = false;
      await done;
      return written;
    },
  };
}

/**
 * Starts n4 joining the cluster through `leader` (whose log is compacted:
 * it needs a snapshot), its install commit held; answers once the whole
 * snapshot arrived and its install is held.
 */
async function joinHeld(
  cluster: ProxiedCluster,
  leader: ProxiedNode,
): Promise<{ n4: ProxiedNode; joined: Promise<ProxiedNode> }> {
  const joined = cluster.join(await nodeSpec('n4'), leader, [Op.imageInstallCommit]);
  joined.catch(() => undefined); // awaited by the caller
  let n4: ProxiedNode | undefined;
  // n4 is listed once its engine said it is ready: 60 s, as Proc.waitFor
  // allows a start (an engine's took 4-8 s at load 18), not 10.
  for (let i = 0; (n4 = cluster.nodes.find((n) => n.id === 'n4')) === undefined; i++) {
    assert.ok(i < 600, 'n4 did not start');
    await sleep(100);
  }
  await n4.proxy.waitHeld(Op.imageInstallCommit, 1, 90_000);
  return { n4, joined };
}

/** Waits until `r` (n4) has applied the commit index `leader` has now. */
async function caughtUp(leader: Client, r: Client): Promise<void> {
  const commit = (await status(leader)).commit;
  for (let i = 0; (await status(r)).applied < commit; i++) {
    assert.ok(i < 300, 'n4 did not catch up with the leader');
    await sleep(100);
  }
}

function installs(node: ProxiedNode): number {
  return (node.coordinator.output().match(/installed a snapshot from the leader/g) ?? []).length;
}

test('a follower whose catch-up outlasts the old bounds installs one snapshot while the leader writes', async (t: TestContext) => {
  const cluster = await ProxiedCluster.start(3, [
    ...['--snapshot-every', '200', '--snapshot-bytes', String(SNAPSHOT_BYTES)],
    ...['--log-level', 'info'],
  ]);
  try {
    const leader = await cluster.waitForLeader();
    const c = await cluster.client(leader);
    await putBigValues(c, 48, 256 * 1024); // 12 MiB: a snapshot of 12 chunks
    const writes = writeUntilStopped(c);
    let written = 0;
    try {
      const started = Date.now();
      const { n4, joined } = await joinHeld(cluster, leader);
      const transferred = Date.now() - started;
      await sleep(INSTALL_HELD_MS);
      n4.proxy.release(Op.imageInstallCommit);
      await joined;
      const r = await cluster.client(n4);
      for (let i = 0; installs(n4) === 0; i++) {
        assert.ok(i < 300, 'n4 did not install the snapshot');
        await sleep(100);
      }
      await sleep(2000); // still writing: it goes on from the log
      const seconds = (Date.now() - started) / 1000;
      written = await writes.stop();
      await caughtUp(c, r);
      t.diagnostic(
        `${written} puts of 1 KiB (${(written / seconds).toFixed(0)}/s) from the join on; whole ` +
          `snapshot received after ${transferred} ms, install held ${INSTALL_HELD_MS} ms, caught ` +
          `up ${Date.now() - started} ms after the join`,
      );
      assert.deepEqual(await r.get('big-47'), Buffer.alloc(256 * 1024, 47));
      assert.equal(installs(n4), 1, 'one snapshot, then the log');
    } finally {
      written = await writes.stop();
    }
    assert.ok(
      written * VALUE.length > 2 * 4 * SNAPSHOT_BYTES,
      `the log held grew past twice the old bound (4 × --snapshot-bytes): ${written} KiB written`,
    );
    const out = leader.coordinator.output();
    assert.match(out, /compaction held while a follower catches up/);
    assert.doesNotMatch(out, /reached --compaction-hold-bytes/);
  } finally {
    await cluster.stop();
  }
});

test('past --compaction-hold-bytes the leader compacts anyway, says so, and the follower catches up from a newer snapshot', async () => {
  const cluster = await ProxiedCluster.start(3, [
    ...['--snapshot-every', '200', '--snapshot-bytes', String(SNAPSHOT_BYTES)],
    ...['--compaction-hold-bytes', '2mb', '--log-level', 'info'],
  ]);
  try {
    const leader = await cluster.waitForLeader();
    const c = await cluster.client(leader);
    await putBigValues(c, 48, 256 * 1024);
    const { n4, joined } = await joinHeld(cluster, leader);
    // Only what the leader logs from now on: on a loaded machine n3 can lag
    // during the preload and pass the limit before n4 even joined.
    const mark = leader.coordinator.output().length;
    // Written while n4 installs (and says so): the held log passes the limit,
    // in 16 KiB values so that ~130 puts do, even on a loaded machine.
    const writes = writeUntilStopped(c, 'x'.repeat(16 * 1024));
    const warned =
      /("level":40|WARN).*reached --compaction-hold-bytes: compacting anyway.*raise --compaction-hold-bytes/;
    // The compaction that follows the warning drops the log n4 would go on from.
    const compacted = new RegExp(`${warned.source}[^]*snapshot taken; log compacted`);
    try {
      for (let i = 0; !compacted.test(leader.coordinator.output().slice(mark)); i++) {
        assert.ok(i < 600, 'the leader held its compactions past --compaction-hold-bytes');
        await sleep(100);
      }
    } finally {
      await writes.stop();
    }
    n4.proxy.release(Op.imageInstallCommit);
    await joined;
    await caughtUp(c, await cluster.client(n4));
    // It caught up, so it installed; the log line may trail on a loaded machine.
    for (let i = 0; installs(n4) < 2; i++) {
      assert.ok(i < 300, 'the catch-up did not start over from a newer snapshot');
      await sleep(100);
    }
  } finally {
    await cluster.stop();
  }
});
