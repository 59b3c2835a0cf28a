// APPEND grows a value by entries that each fit every member's storage
// engine, so without a limit of its own it could make a value larger than
// an engine can serve in one reply: with a 64 KiB frame, a value past
// 256 KiB (four frames, what a node reads from its engine) cut the node's
// storage connection at every read of it. The limit is the smallest entry
// room among the members (as a SET's value is, through its entry), sent
// with the command, so every replica refuses the same APPEND, whole, and
// names the node and the frame to raise. A standalone coordinator limits
// it by its own engine's room.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';
import { startNode } from './coordinator-support.js';
import { connect } from '../../src/index.js';

const SMALL_FRAME = 64 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 'a');
/** Appends tried: far past four small frames, so without the limit every read of the value fails. */
const APPENDS = 24;

/** Member `id`'s entry room as `via` knows it (up to 20 s). */
async function roomAt(cluster: TestCluster, via: ClusterNodeProc, id: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const m = (await cluster.status(via)).members.find((x) => x.id === id);
    if (m?.entryRoom != null) return m.entryRoom;
    await sleep(100);
  }
  throw new Error(`${via.id} never learned ${id}'s entry room`);
}

test("APPEND is refused past the smallest engine's entry room, alike on every replica", async () => {
  const small = { STORAGE_MAX_FRAME_SIZE: String(SMALL_FRAME) };
  const cluster = await TestCluster.start(3, [], {}, { n3: small });
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    const via = cluster.node(leader.id === 'n1' ? 'n2' : 'n1');
    const room = await roomAt(cluster, via, 'n3');
    assert.ok(room < SMALL_FRAME, `n3's room ${room}`);

    const c = await cluster.client(via);
    const answers: string[] = [];
    for (let i = 0; i < APPENDS; i++) {
      answers.push(
        await c.command('APPEND', 'grown', CHUNK).then(String, (err: Error) => err.message),
      );
    }
    const fits = Math.floor(room / CHUNK.length);
    const lengths = Array.from({ length: fits }, (_, i) => String((i + 1) * CHUNK.length));
    assert.deepEqual(answers.slice(0, fits), lengths);
    for (const refusal of answers.slice(fits)) {
      assert.equal(
        refusal,
        `ERR APPEND would make the value longer than the ${room} bytes node n3's storage engine can serve (STORAGE_MAX_FRAME_SIZE ${SMALL_FRAME} there); nothing was appended. Keep the value smaller or raise STORAGE_MAX_FRAME_SIZE on n3 to at least ${1024 * 1024 + SMALL_FRAME - room} for values up to --max-value-size (DISTDB_MAX_VALUE_SIZE), ${1024 * 1024} bytes`,
      );
    }

    // Every replica holds the value as the last accepted APPEND left it, and serves it.
    const expected = Buffer.alloc(fits * CHUNK.length, 'a');
    const commit = (await cluster.status(leader)).commit;
    for (const n of cluster.nodes) {
      for (let i = 0; (await cluster.status(n)).applied < commit; i++) {
        assert.ok(i < 200, `${n.id} did not apply the appends in 20 s`);
        await sleep(100);
      }
      const r = await cluster.client(n);
      assert.equal(await r.command('READONLY'), 'OK');
      assert.deepEqual(await r.get('grown'), expected, `node ${n.id}`);
      assert.equal(await r.command('STRLEN', 'grown'), expected.length, `node ${n.id}`);
    }
    assert.equal(await (await cluster.client(cluster.node('n3'))).command('INCR', 'after'), 1);
    for (const n of cluster.nodes) {
      assert.doesNotMatch(n.proc!.output(), /lost the storage engine connection/, `node ${n.id}`);
    }
  } finally {
    await cluster.stop();
  }
});

test("a standalone coordinator refuses APPEND past its engine's entry room", async () => {
  process.env['STORAGE_MAX_FRAME_SIZE'] = String(SMALL_FRAME);
  const node = await startNode();
  try {
    const c = await connect({ port: node.port });
    try {
      let answer = '';
      let length = 0;
      for (let i = 0; i < APPENDS && answer === ''; i++) {
        await c.command('APPEND', 'grown', CHUNK).then(
          (n) => (length = Number(n)),
          (err: Error) => (answer = err.message),
        );
      }
      assert.match(
        answer,
        /^ERR APPEND would make the value longer than the (\d+) bytes this node's storage engine can serve \(STORAGE_MAX_FRAME_SIZE 65536 there\); nothing was appended\. Keep the value smaller or raise STORAGE_MAX_FRAME_SIZE to at least \d+ for values up to --max-value-size/,
      );
      const room = Number(/than the (\d+) bytes/.exec(answer)![1]);
      assert.ok(length <= room && length + CHUNK.length > room, `${length} of ${room}`);
      assert.equal((await c.get('grown'))?.length, length);
      assert.doesNotMatch(node.coordinator.output(), /lost the storage engine connection/);
    } finally {
      await c.close();
    }
  } finally {
    await node.stop();
    delete process.env['STORAGE_MAX_FRAME_SIZE'];
  }
});
