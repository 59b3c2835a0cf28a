// A write is answered once committed, before the node's own engine applies
// it. If the engine stops then and comes back with a frame
// (STORAGE_MAX_FRAME_SIZE) too small to carry that entry in an apply, the
// engine refuses to start, naming the entry and the frame to set: before,
// it started, and the node could never finish loading (a cluster of one
// retried every 5 s, serving nothing). Started with the frame it names, the
// node applies the entry and the write is there; once applied, the small
// frame works. The node's applies are withheld from its engine by the
// storage proxy (proxied-cluster-support.ts), so the write is certainly
// unapplied when the engine is killed by PID.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Op } from '../../src/storage/protocol.js';
import { startDistdb } from '../helpers/processes.js';
import { ProxiedCluster, status, type ProxiedNode } from './proxied-cluster-support.js';

const SMALL_FRAME = 256 * 1024;
/** More than an apply request of SMALL_FRAME carries; a reply of 4 such frames does. */
const BIG = Buffer.alloc(SMALL_FRAME + 4096, 7);

/** Waits until `node` leads again (its Raft state reloaded). */
async function leading(node: ProxiedNode): Promise<void> {
  for (let i = 0; ; i++) {
    const s = await status(node).catch(() => null);
    if (s?.role === 'leader') return;
    assert.ok(i < 600, `${node.id} did not lead again within 60 s: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

test('an engine whose frame cannot carry an unapplied entry refuses to start, saying what to set', async () => {
  const cluster = await ProxiedCluster.start(1);
  try {
    const node = cluster.nodes[0]!;
    await leading(node);
    const c = await cluster.client(node);
    assert.equal(await c.put('small', 'x'), true); // a session's first write waits for its apply
    node.proxy.withhold(Op.apply);
    assert.equal(await c.put('big', BIG), true, 'answered at commit, not applied');
    for (let i = 0; node.proxy.withheld(Op.apply) === 0; i++) {
      assert.ok(i < 100, 'no apply was withheld within 10 s');
      await sleep(100);
    }
    node.engine.kill('SIGKILL');
    await node.engine.exited;
    node.proxy.passOn(Op.apply);

    const small = startDistdb(
      ['storage', '--data-dir', node.dataDir, '--socket', node.engineSocket],
      { env: { STORAGE_MAX_FRAME_SIZE: String(SMALL_FRAME) } },
    );
    try {
      const exit = await Promise.race([small.exited, sleep(60_000).then(() => 'still running')]);
      assert.equal(exit, 2, small.output());
    } finally {
      await small.stop();
    }
    const said = new RegExp(
      `distdb: the Raft log of group \\d+ holds an entry of \\d+ bytes \\(index \\d+\\) that ` +
        `STORAGE_MAX_FRAME_SIZE ${SMALL_FRAME} \\(--max-frame-size\\) cannot carry to be applied: .*` +
        'Start the storage engine with STORAGE_MAX_FRAME_SIZE of at least (\\d+)',
    ).exec(small.output());
    assert.ok(said, small.output());
    const needed = Number(said[1]);
    assert.ok(needed > BIG.length && needed < BIG.length + 1024, said[0]);

    // With the frame it names, the node loads, applies the entry: nothing answered is lost.
    await cluster.restartEngine(node, { STORAGE_MAX_FRAME_SIZE: String(needed) });
    await leading(node);
    assert.deepEqual(await c.get('big'), BIG);

    // Applied (and committed by a clean stop), the entry is only read back: the small frame works.
    await node.engine.stop();
    await cluster.restartEngine(node, { STORAGE_MAX_FRAME_SIZE: String(SMALL_FRAME) });
    await leading(node);
    assert.deepEqual(await c.get('big'), BIG);
    assert.doesNotMatch(node.coordinator.output(), /cannot store a Raft entry/);
  } finally {
    await cluster.stop();
  }
});
