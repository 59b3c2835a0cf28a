// Protected mode on the HTTP port: a node bound to 0.0.0.0 without a password
// answers loopback callers, and refuses one reaching it at this machine's own
// non-loopback address (the traffic never leaves the machine) with 403 and
// how to fix it; /health stays open for load balancers.

import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { httpPortOf, waitHealthy } from './http-support.js';
import { startNode } from './node-helpers.js';

const ownAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
const skip = ownAddress === undefined ? 'this machine has no non-loopback IPv4 address' : false;

let dir: ReturnType<typeof tempDir>;
let node: Proc | undefined;
let httpPort = 0;

before(async () => {
  if (skip) return;
  dir = tempDir();
  const port = await freePort();
  node = await startNode(join(dir.path, 'data'), port, ['--host', '0.0.0.0', '--http-port', '0']);
  httpPort = await httpPortOf(node);
  await waitHealthy(`http://127.0.0.1:${httpPort}`);
});

after(async () => {
  await node?.stop();
  dir?.remove();
});

test(
  'no password on 0.0.0.0: loopback served, others refused except /health',
  { skip },
  async () => {
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/status`)).status, 200);
    const outside = `http://${ownAddress}:${httpPort}`;
    for (const path of ['/status', '/v1/kv/k', '/']) {
      const res = await fetch(outside + path);
      assert.equal(res.status, 403, path);
      assert.match(
        ((await res.json()) as { error: string }).error,
        /protected mode.*--requirepass/,
      );
    }
    assert.equal((await fetch(`${outside}/health`)).status, 200);
  },
);
