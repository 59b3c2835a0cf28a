// `distdb node` supervises its storage engine: restarts it after kill -9,
// stops it on shutdown, and never leaves it running without its node.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, ReplyError, type Client } from '../../src/index.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { isAlive, startNode, storagePid, waitGone } from './node-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function nodeInTemp(): Promise<{ node: Proc; port: number }> {
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const port = await freePort();
  const node = await startNode(dir.path, port);
  cleanups.push(() => node.stop());
  return { node, port };
}

/** Retries while the node answers TRYAGAIN (its storage engine is coming back). */
async function eventually<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  while (true) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ReplyError) || Date.now() > until) throw err;
      await sleep(100);
    }
  }
}

test('a storage engine killed with kill -9 is restarted and the node serves again', async () => {
  const { node, port } = await nodeInTemp();
  const client: Client = await connect({ port });
  cleanups.push(() => client.close());
  await client.set('before', 'crash');
  const first = await storagePid(node);
  process.kill(first, 'SIGKILL');
  const second = await storagePid(node, first);
  assert.notEqual(second, first);
  assert.match(node.output(), /storage engine killed by SIGKILL; restarting it in \d+ ms/);
  assert.equal(await eventually(() => client.getString('before')), 'crash');
  assert.equal(await eventually(() => client.set('after', 'restart')), true);
  assert.equal(await client.getString('after'), 'restart');
});

test('stopping the node (SIGTERM) stops its storage engine and exits 0', async () => {
  const { node } = await nodeInTemp();
  const storage = await storagePid(node);
  node.kill('SIGTERM');
  assert.equal(await node.exited, 0);
  assert.ok(await waitGone(storage), 'the storage engine outlived its node');
});

test('a node killed with kill -9 leaves no storage engine behind', async () => {
  const { node } = await nodeInTemp();
  const storage = await storagePid(node);
  assert.ok(isAlive(storage));
  node.kill('SIGKILL');
  await node.exited;
  assert.ok(await waitGone(storage), 'the storage engine was left orphaned');
});
