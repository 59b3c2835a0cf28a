// `distdb start` gives every node an HTTP port 1000 above its client port and
// prints the dashboard's address: the page is served there and /status shows
// the node (one node, to keep it quick).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePortBlock, startDistdb, tempDir } from '../helpers/processes.js';
import { descendants, isAlive } from './node-helpers.js';

test('distdb start prints the dashboard address and serves it', async () => {
  const cwd = tempDir();
  const port = await freePortBlock([0, 100, 1000]);
  const start = startDistdb(['start', '--nodes', '1', '--port', String(port)], { cwd: cwd.path });
  let processes: number[] = [];
  try {
    await start.waitFor(/Ctrl-C/);
    processes = descendants(start.pid);
    const m = /Dashboard:\s+(http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(start.output());
    assert.ok(m, `no dashboard address in the banner:\n${start.output()}`);
    assert.equal(Number(m[2]), port + 1000);
    const page = await fetch(m[1] as string);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>distdb dashboard<\/title>/);
    const status = (await (await fetch(`${m[1]}status`)).json()) as { node: { id: string } };
    assert.equal(status.node.id, 'n1');
    start.kill('SIGINT');
    assert.equal(await start.exited, 0);
  } finally {
    await start.stop();
    for (const pid of processes) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    cwd.remove();
  }
});
