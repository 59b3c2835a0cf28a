// The results of one apply may carry stored values (GETDEL, GETSET, SET …
// GET): several such writes committed together must not make a reply larger
// than a node accepts from its engine (four frames). Before, six pipelined
// GETDELs of 60,000-byte values with a 64 KiB frame made an apply reply of
// 360 KB: the node dropped its storage connection and reloaded its Raft
// state, and the clients got TRYAGAIN for values already deleted. The node
// now cuts such an apply into requests whose replies fit (batch-parts.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestCluster } from './cluster-support.js';

const FRAME = 64 * 1024;
const VALUE = 60_000;
const KEYS = 6;

test('GETDELs of large values committed together are answered, the storage connection kept', async () => {
  const small = { STORAGE_MAX_FRAME_SIZE: String(FRAME) };
  const cluster = await TestCluster.start(3, [], {}, { n1: small, n2: small, n3: small });
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    const c = await cluster.client(leader);
    const value = (i: number): Buffer => Buffer.alloc(VALUE, 65 + i);
    for (let i = 0; i < KEYS; i++) assert.equal(await c.put(`big${i}`, value(i)), true);
    // Pipelined on one connection: proposed, committed and applied together.
    const olds = await Promise.all(
      Array.from({ length: KEYS }, (_, i) => c.command('GETDEL', `big${i}`)),
    );
    olds.forEach((old, i) => assert.ok(value(i).equals(old as Buffer), `GETDEL big${i}`));
    for (let i = 0; i < KEYS; i++) assert.equal(await c.get(`big${i}`), null);
    for (const n of cluster.nodes) {
      assert.doesNotMatch(n.proc!.output(), /storage engine sent a bad frame/, n.id);
    }
  } finally {
    await cluster.stop();
  }
});
