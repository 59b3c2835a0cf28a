// A leader sends a follower a snapshot a chunk at a time, read from its
// storage engine as the follower asks for it: its coordinator holds a few
// chunks, never the image. A follower is stopped while 128 MiB of values are
// written (the log is compacted past it); the leader's peak RSS is reset
// (clear_refs) and the follower restarted: the snapshot (128 chunks of 1 MiB)
// must arrive and install with the leader's peak grown by far less than the
// image (a leader that read the image back whole grew by 166-196 MiB; one
// reading it a chunk at a time did not grow at all, see
// docs/performance-log.md), and the follower's state machine must then be
// exactly the leader's, byte for byte.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEYSPACE_RAFT_GROUP } from '../../src/coordinator/replication/replication-settings.js';
import { memoryOf, resetPeakMemory } from '../../src/hostile/process-memory.js';
import { connectStorage, type StorageClient } from '../../src/storage/client.js';
import {
  compactedSince,
  followerBehindBigValues,
  TestCluster,
  type ClusterNodeProc,
} from './cluster-support.js';

const MiB = 1024 * 1024;
const VALUES = 256;
const VALUE_BYTES = MiB / 2;
const IMAGE_BYTES = VALUES * VALUE_BYTES;

async function withStorage<T>(
  node: ClusterNodeProc,
  fn: (s: StorageClient) => Promise<T>,
): Promise<T> {
  const s = await connectStorage(join(node.dataDir, 'storage.sock'));
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** The node's state machine: its applied index and a hash of its whole image (every pair and session). */
async function stateOf(node: ClusterNodeProc): Promise<{ applied: number; hash: string }> {
  return withStorage(node, async (s) => {
    const g = KEYSPACE_RAFT_GROUP;
    const { id, appliedIndex } = await s.imageExportBegin(g);
    const hash = createHash('sha256');
    for (let last = false; !last;) {
      const next = await s.imageExportChunk(g, id, MiB);
      hash.update(next.chunk);
      last = next.last;
    }
    return { applied: appliedIndex, hash: hash.digest('hex') };
  });
}

test('a leader sends a snapshot many chunks long with its coordinator holding far less than the image', async (t: TestContext) => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const { leader, follower } = await followerBehindBigValues(cluster, VALUES, VALUE_BYTES);
    // The log it missed is compacted (only then does it need a snapshot):
    // the leader holds compactions for up to two rounds after the kill.
    await compactedSince(leader);
    const pid = leader.proc!.pid;
    const { rssBytes } = memoryOf(pid);
    resetPeakMemory(pid);
    await cluster.run(follower);
    await follower.proc!.waitFor(/installed a snapshot from the leader/, 120_000);
    const { peakRssBytes } = memoryOf(pid);
    const growth = peakRssBytes - rssBytes;
    t.diagnostic(
      `image ${IMAGE_BYTES / MiB} MiB; leader coordinator RSS ${(rssBytes / MiB).toFixed(0)} MiB, peak while sending ${(peakRssBytes / MiB).toFixed(0)} MiB`,
    );
    assert.match(
      leader.proc!.output(),
      /sending the stored snapshot to a follower, a chunk at a time/,
    );
    assert.ok(
      growth < IMAGE_BYTES / 2,
      `the leader's peak grew by ${(growth / MiB).toFixed(0)} MiB for an image of ${IMAGE_BYTES / MiB} MiB`,
    );
    // Nothing is written any more: the follower ends at the leader's applied index, with its state.
    let want = await stateOf(leader);
    let got = await stateOf(follower);
    for (let i = 0; i < 100 && (got.applied !== want.applied || got.hash !== want.hash); i++) {
      await sleep(100);
      want = await stateOf(leader);
      got = await stateOf(follower);
    }
    assert.deepEqual(got, want, "the follower's state machine is the leader's");
    const f = await cluster.client(follower, 60_000);
    const values = await f.mget(['big-0', `big-${VALUES - 1}`]);
    assert.deepEqual(values[0], Buffer.alloc(VALUE_BYTES, 0));
    assert.deepEqual(values[1], Buffer.alloc(VALUE_BYTES, VALUES - 1));
  } finally {
    await cluster.stop();
  }
});
