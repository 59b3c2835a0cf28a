// `distdb start` (what `npm start` runs) in a fresh directory: says how to
// connect, serves, keeps data under ./data, and stops every process on Ctrl-C.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/index.js';
import { freePort, startDistdb, tempDir } from '../helpers/processes.js';
import { descendants, isAlive, waitGone } from './node-helpers.js';

test('distdb start prints how to connect, serves, and stops everything on SIGINT', async () => {
  const cwd = tempDir();
  const port = await freePort();
  const start = startDistdb(['start', '--port', String(port)], { cwd: cwd.path });
  let processes: number[] = [];
  try {
    await start.waitFor(/Ctrl-C/, 30_000);
    const out = start.output();
    assert.match(out, /npx distdb client/);
    assert.match(out, new RegExp(`redis-cli -p ${port}`));
    assert.match(out, new RegExp(`nc 127\\.0\\.0\\.1 ${port}`));
    assert.match(out, /PUT key value/);

    const client = await connect({ port });
    await client.put('started', 'yes');
    assert.equal(await client.getString('started'), 'yes');
    await client.close();
    assert.ok(existsSync(join(cwd.path, 'data')), 'no ./data directory');

    processes = descendants(start.pid);
    assert.ok(processes.length >= 2, `expected a node and its storage engine, got ${processes}`);
    start.kill('SIGINT');
    assert.equal(await start.exited, 0);
    for (const pid of processes) assert.ok(await waitGone(pid), `process ${pid} left running`);
  } finally {
    await start.stop();
    // Even when the test failed, leave nothing running.
    for (const pid of processes) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    cwd.remove();
  }
});
