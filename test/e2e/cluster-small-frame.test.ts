// With the storage engines' frame lowered to 256 KiB, a follower that missed
// 4 MiB of log (nothing compacted: it catches up from the log) is sent it
// in appends of up to 17 MiB and Readys holding more: its coordinator
// writes and applies each in several requests (batch-parts.ts), so it
// catches up without its raft state ever failing and reloading.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { followerBehindBigValues, TestCluster } from './cluster-support.js';

const FRAME = 256 * 1024;
const VALUES = 64;
const VALUE_BYTES = 64 * 1024;

test('a follower behind by many frames of log catches up from it', async () => {
  process.env['STORAGE_MAX_FRAME_SIZE'] = String(FRAME);
  const cluster = await TestCluster.start(3, ['--log-level', 'info']);
  try {
    const { leader, follower } = await followerBehindBigValues(cluster, VALUES, VALUE_BYTES);
    await cluster.run(follower);
    const commit = (await cluster.status(leader)).commit;
    for (let i = 0; (await cluster.status(follower)).applied < commit; i++) {
      assert.ok(i < 300, 'the follower did not catch up in 30 s');
      await sleep(100);
    }
    const out = follower.proc!.output();
    assert.doesNotMatch(out, /raft storage operation failed/);
    assert.doesNotMatch(out, /installed a snapshot/, 'it caught up from the log');
    const r = await cluster.client(follower);
    assert.equal(await r.command('READONLY'), 'OK');
    assert.deepEqual(await r.get(`big-${VALUES - 1}`), Buffer.alloc(VALUE_BYTES, VALUES - 1));
  } finally {
    await cluster.stop();
    delete process.env['STORAGE_MAX_FRAME_SIZE'];
  }
});
