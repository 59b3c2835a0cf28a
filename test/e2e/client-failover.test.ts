// The client given several nodes of a cluster: when the node it talks to
// dies, it moves on to another, and the data is there.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, ConnectionError, ReplyError } from '../../src/index.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { startNode } from './node-helpers.js';

/**
 * Retries while the cluster cannot serve yet (no leader, an election) or the
 * connection dropped under the request; fine here, the requests are idempotent.
 */
async function eventually<T>(fn: () => Promise<T>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  while (true) {
    try {
      return await fn();
    } catch (err) {
      const retryable =
        (err instanceof ReplyError && ['TRYAGAIN', 'CLUSTERDOWN'].includes(err.code)) ||
        err instanceof ConnectionError;
      if (!retryable || Date.now() > until) throw err;
      await sleep(100);
    }
  }
}

test('with several nodes given, the client fails over when its node is killed', async () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  const ports = [await freePort(), await freePort(), await freePort()];
  const peerPorts = [await freePort(), await freePort(), await freePort()];
  const peers = peerPorts.map((p, i) => `n${i + 1}=127.0.0.1:${p}`).join(',');
  const nodes: Proc[] = [];
  try {
    nodes.push(
      ...(await Promise.all(
        dirs.map((d, i) =>
          startNode(d.path, ports[i] as number, ['--id', `n${i + 1}`, '--peers', peers]),
        ),
      )),
    );
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    const client = await connect({ nodes: addresses, timeoutMs: 10_000, reconnectDelayMs: 20 });
    try {
      await eventually(() => client.set('failover', 'before'));
      const victim = ports.indexOf(client.port);
      assert.ok(victim >= 0);
      (nodes[victim] as Proc).kill('SIGKILL');
      await eventually(() => client.set('failover:after', 'yes'));
      assert.notEqual(client.port, ports[victim]);
      assert.equal(await eventually(() => client.getString('failover')), 'before');
      assert.equal(await client.getString('failover:after'), 'yes');
    } finally {
      await client.close();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const d of dirs) d.remove();
  }
});

test('connect tries each given node until one answers', async () => {
  const dir = tempDir();
  const port = await freePort();
  const closed = await freePort();
  const node = await startNode(dir.path, port);
  try {
    const client = await connect({ nodes: [`127.0.0.1:${closed}`, `127.0.0.1:${port}`] });
    assert.equal(client.port, port);
    assert.equal(await client.ping(), 'PONG');
    await client.close();
    await assert.rejects(
      connect({ nodes: [`127.0.0.1:${closed}`] }),
      new RegExp(`cannot connect to 127\\.0\\.0\\.1:${closed}`),
    );
    await assert.rejects(connect({ nodes: ['no-port'] }), /host:port/);
  } finally {
    await node.stop();
    dir.remove();
  }
});
