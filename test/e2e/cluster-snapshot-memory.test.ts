// A follower catching up by snapshot stages it in its storage engine as the
// chunks arrive: its coordinator holds a chunk at a time, never the image. A
// follower is stopped while 128 MiB of values are written (the log is
// compacted past it), the other nodes are paused while it restarts, its
// coordinator's peak RSS is reset (clear_refs) and the others resumed: the
// snapshot (128 chunks of 1 MiB) must arrive, install, and leave that peak
// below the image's size: a coordinator that reassembled it would hold at
// least the whole image (measured: the peak grew by 286 MiB that way, by
// about 40-60 MiB staging it, what the garbage collector lets lie of the
// chunks, near its 64 MB external-memory trigger).

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { memoryOf, resetPeakMemory } from '../../src/hostile/process-memory.js';
import { compactedSince, followerBehindBigValues, TestCluster } from './cluster-support.js';

const MiB = 1024 * 1024;
const VALUES = 256;
const VALUE_BYTES = MiB / 2;
const IMAGE_BYTES = VALUES * VALUE_BYTES;

test('a follower installs a snapshot many chunks long with its coordinator holding far less than the image', async (t: TestContext) => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '50', '--log-level', 'info']);
  try {
    const { leader, follower } = await followerBehindBigValues(cluster, VALUES, VALUE_BYTES);
    // The log it missed is compacted (only then does it need a snapshot):
    // the leader holds compactions for up to two rounds after the kill.
    await compactedSince(leader);
    const other = cluster.nodes.find((n) => n !== leader && n !== follower)!;
    // Nobody sends it anything until its peak is reset.
    leader.proc!.kill('SIGSTOP');
    other.proc!.kill('SIGSTOP');
    let growth: number;
    try {
      await cluster.run(follower);
      const pid = follower.proc!.pid;
      const { rssBytes } = memoryOf(pid);
      resetPeakMemory(pid);
      leader.proc!.kill('SIGCONT');
      other.proc!.kill('SIGCONT');
      await follower.proc!.waitFor(/installed a snapshot from the leader/, 120_000);
      growth = memoryOf(pid).peakRssBytes - rssBytes;
      t.diagnostic(
        `image ${IMAGE_BYTES / MiB} MiB; follower coordinator RSS ${(rssBytes / MiB).toFixed(0)} MiB, peak grew by ${(growth / MiB).toFixed(0)} MiB`,
      );
    } finally {
      leader.proc?.kill('SIGCONT');
      other.proc?.kill('SIGCONT');
    }
    const f = await cluster.client(follower, 60_000);
    const got = await f.mget(['big-0', `big-${VALUES - 1}`]);
    assert.deepEqual(got[0], Buffer.alloc(VALUE_BYTES, 0));
    assert.deepEqual(got[1], Buffer.alloc(VALUE_BYTES, VALUES - 1));
    assert.ok(
      growth < IMAGE_BYTES,
      `the coordinator's peak grew by ${(growth / MiB).toFixed(0)} MiB for an image of ${IMAGE_BYTES / MiB} MiB`,
    );
  } finally {
    await cluster.stop();
  }
});
