// A follower whose storage engine restarts with a smaller frame
// (STORAGE_MAX_FRAME_SIZE) while its coordinator runs on tells the members
// its new entry room as it reloads, before it says its Raft state is
// loaded: a write larger than the room, sent through the leader at once,
// is refused, naming the follower. Before, the leader learned the room only
// at its next round of I requests (every 2 s): it accepted the write, which
// the follower could not store, and the follower stopped on it until a
// snapshot passed the entry. The engine runs as a process of its own
// (proxied-cluster-support.ts), killed and restarted by PID.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxiedCluster, status, type ProxiedNode } from './proxied-cluster-support.js';

const SMALL_FRAME = 256 * 1024;
/** More than an engine with SMALL_FRAME holds in one entry; the default frame (64 MiB) holds it. */
const TOO_BIG = Buffer.alloc(SMALL_FRAME, 7);
/** Fits it. */
const FITS = Buffer.alloc(SMALL_FRAME - 4096, 8);
const LOADED = /raft state loaded/g;

/** Waits until `node` has logged its Raft state loaded `times` times. */
async function loaded(node: ProxiedNode, times: number): Promise<void> {
  for (let i = 0; (node.coordinator.output().match(LOADED)?.length ?? 0) < times; i++) {
    assert.ok(i < 600, `${node.id} did not reload within 60 s:\n${node.coordinator.output()}`);
    await sleep(100);
  }
}

test('a follower whose engine restarts with a smaller frame is counted before it serves', async () => {
  const cluster = await ProxiedCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    for (let i = 0; ; i++) {
      const m = (await status(leader)).members.find((x) => x.id === follower.id);
      if ((m?.entryRoom ?? 0) > TOO_BIG.length) break;
      assert.ok(i < 200, `the leader did not learn ${follower.id}'s room: ${JSON.stringify(m)}`);
      await sleep(100);
    }
    const c = await cluster.client(leader);

    await loaded(follower, 1);
    const before = follower.coordinator.output().match(LOADED)?.length ?? 0;
    await cluster.restartEngine(follower, { STORAGE_MAX_FRAME_SIZE: String(SMALL_FRAME) });
    await loaded(follower, before + 1);
    await assert.rejects(
      c.put('too-big', TOO_BIG),
      new RegExp(
        `ERR the write needs a Raft entry of \\d+ bytes, but node ${follower.id}'s storage engine ` +
          `holds at most \\d+ \\(STORAGE_MAX_FRAME_SIZE ${SMALL_FRAME} there\\)`,
      ),
    );

    // The follower goes on: it stores and applies a write that fits.
    assert.equal(await c.put('fits', FITS), true);
    const commit = (await status(leader)).commit;
    for (let i = 0; (await status(follower)).applied < commit; i++) {
      assert.ok(i < 200, `${follower.id} did not apply the write that fits in 20 s`);
      await sleep(100);
    }
    const r = await cluster.client(follower);
    assert.equal(await r.command('READONLY'), 'OK');
    assert.deepEqual(await r.get('fits'), FITS);
    assert.equal(await r.get('too-big'), null);
    assert.doesNotMatch(follower.coordinator.output(), /cannot store a Raft entry/);
  } finally {
    await cluster.stop();
  }
});
