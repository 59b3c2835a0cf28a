// A follower that needs a snapshot many chunks long catches up while the
// leader keeps taking writes. The leader compacts every 200 entries, far
// sooner than the transfer takes: a compaction would replace the snapshot
// being sent (the transfer starts over) or drop the log the follower goes
// on from after installing it (it needs another), so the leader holds its
// compactions while a follower catches up (catch-up-watch.ts), including
// while the follower, silent, installs the snapshot.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compactedSince, followerBehindBigValues, TestCluster } from './cluster-support.js';

const VALUES = 48;
const VALUE_BYTES = 256 * 1024; // 12 MiB of image: 12 chunks

test('a follower catches up from one snapshot while the leader keeps writing', async (t: TestContext) => {
  const cluster = await TestCluster.start(3, ['--snapshot-every', '200', '--log-level', 'info']);
  let writing = true;
  let written = 0;
  let writes: Promise<void> = Promise.resolve();
  try {
    const {
      leader,
      follower,
      client: w,
    } = await followerBehindBigValues(cluster, VALUES, VALUE_BYTES);
    const mark = leader.proc!.output().length;
    writes = (async () => {
      for (let i = 0; writing; i += 16) {
        await Promise.all(Array.from({ length: 16 }, (_, j) => w.put(`w-${(i + j) % 5000}`, 'x')));
        written += 16;
      }
    })();
    // Only once the log it missed is compacted does it need a snapshot: the
    // leader holds compactions for up to two rounds after the kill, and a
    // follower back by then would catch up from the log.
    await compactedSince(leader, mark);
    const started = Date.now();
    await cluster.run(follower);
    const r = await cluster.client(follower);
    assert.equal(await r.command('READONLY'), 'OK');
    const last = `big-${VALUES - 1}`;
    for (let i = 0; (await r.get(last)) === null; i++) {
      assert.ok(i < 300, 'the follower installed no snapshot in 30 s of writes');
      await sleep(100);
    }
    const installed = Date.now() - started;
    await sleep(2000); // still writing: it goes on from the log
    writing = false;
    await writes;
    const seconds = (Date.now() - started) / 1000;
    const commit = (await cluster.status(leader)).commit;
    for (let i = 0; (await cluster.status(follower)).applied < commit; i++) {
      assert.ok(i < 100, 'the follower did not catch up with the leader');
      await sleep(100);
    }
    t.diagnostic(
      `${(written / seconds).toFixed(0)} puts/s from the follower's restart on; ` +
        `snapshot installed after ${installed} ms, caught up ${Date.now() - started} ms after the restart`,
    );
    const installs = follower.proc!.output().match(/installed a snapshot from the leader/g) ?? [];
    assert.equal(installs.length, 1, 'one snapshot, then the log');
    assert.deepEqual(await r.get(last), Buffer.alloc(VALUE_BYTES, VALUES - 1));
  } finally {
    writing = false;
    await writes.catch(() => undefined);
    await cluster.stop();
  }
});
