// Durability across a crash of the whole node: writes are acknowledged only
// once on disk, so after kill -9 of the storage engine and the coordinator
// every acknowledged key is there with its value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../src/index.js';
import { freePort, tempDir } from '../helpers/processes.js';
import { startNode, storagePid, waitGone } from './node-helpers.js';

test('every acknowledged write survives kill -9 of both processes of the node', async () => {
  const dir = tempDir();
  const port = await freePort();
  let node = await startNode(dir.path, port);
  try {
    const storage = await storagePid(node);
    const client = await connect({ port, reconnect: false, timeoutMs: 10_000 });
    const acked = new Map<string, string>();
    let killed = false;
    let next = 0;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      process.kill(storage, 'SIGKILL');
      node.kill('SIGKILL');
    };
    // 16 writers keep writes in flight; the node dies mid-stream once 600 are acknowledged.
    const writer = async (): Promise<void> => {
      while (!killed) {
        const i = next++;
        const key = `crash:${i}`;
        const value = `v${i}-${'x'.repeat(i % 50)}`;
        try {
          await client.set(key, value);
        } catch {
          return; // the node is gone
        }
        acked.set(key, value);
        if (acked.size >= 600) kill();
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    await client.close();
    await node.exited;
    assert.ok(await waitGone(storage));
    assert.ok(acked.size >= 600);

    node = await startNode(dir.path, port);
    const again = await connect({ port });
    try {
      const keys = [...acked.keys()];
      const values = await again.mget(keys);
      const lost = keys.filter((k, i) => values[i]?.toString() !== acked.get(k));
      assert.deepEqual(lost, [], `${lost.length} of ${keys.length} acknowledged writes lost`);
    } finally {
      await again.close();
    }
  } finally {
    await node.stop();
    dir.remove();
  }
});
