// `distdb start` (what `npm start` runs) in a fresh directory: a local
// 3-node cluster that says how to connect, serves through any node, keeps
// data under ./data/n1..n3, restarts a node that dies while the others serve,
// stops every process on Ctrl-C and keeps the data for the next start.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/index.js';
import { freePortBlock, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { descendants, isAlive, waitGone } from './node-helpers.js';

test('distdb start runs 3 nodes, prints how to connect, serves, stops everything on SIGINT, and keeps the data', async () => {
  const cwd = tempDir();
  const port = await freePortBlock([0, 1, 2, 100, 101, 102, 1000, 1001, 1002]);
  const start = startDistdb(['start', '--port', String(port)], { cwd: cwd.path });
  let processes: number[] = [];
  let again: Proc | null = null;
  try {
    await start.waitFor(/Ctrl-C/);
    const out = start.output();
    assert.match(out, /npx distdb client/);
    assert.match(out, new RegExp(`redis-cli -p ${port}`));
    assert.match(out, new RegExp(`nc 127\\.0\\.0\\.1 ${port}`));
    assert.match(out, /PUT key value/);

    for (const p of [port, port + 1, port + 2])
      assert.match(out, new RegExp(`127\\.0\\.0\\.1:${p}`));

    const first = await connect({ port });
    await first.put('started', 'yes');
    await first.close();
    const third = await connect({ port: port + 2 });
    assert.equal(await third.getString('started'), 'yes', 'a write through n1 is read through n3');
    await third.close();
    for (const n of ['n1', 'n2', 'n3']) {
      assert.ok(existsSync(join(cwd.path, 'data', n)), `no ./data/${n} directory`);
    }

    processes = descendants(start.pid);
    assert.ok(processes.length >= 6, `expected 3 nodes and 3 storage engines, got ${processes}`);
    start.kill('SIGINT');
    assert.equal(await start.exited, 0);
    for (const pid of processes) assert.ok(await waitGone(pid), `process ${pid} left running`);

    again = startDistdb(['start', '--port', String(port)], { cwd: cwd.path });
    await again.waitFor(/Ctrl-C/);
    const second = await connect({ port: port + 1 });
    assert.equal(await second.getString('started'), 'yes', 'the data survived a restart');
    await second.close();
    processes = descendants(again.pid);

    // kill -9 of one node: the cluster keeps serving and the node comes back.
    const n2 = processes.find((pid) => {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.includes('node') && args[args.indexOf('--id') + 1] === 'n2';
    });
    assert.ok(n2 !== undefined, 'no n2 node process');
    process.kill(n2, 'SIGKILL');
    const survivor = await connect({ port, timeoutMs: 10_000 });
    await survivor.put('while-n2-down', 'ok');
    await survivor.close();
    await again.waitFor(/node n2 is back/, 30_000);
    const back = await connect({ port: port + 1 });
    assert.equal(await back.getString('while-n2-down'), 'ok', 'the restarted node caught up');
    await back.close();
    processes = descendants(again.pid);
    again.kill('SIGINT');
    assert.equal(await again.exited, 0);
  } finally {
    await start.stop();
    await again?.stop();
    // Even when the test failed, leave nothing running.
    for (const pid of processes) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    cwd.remove();
  }
});
