// A SIGHUP while a node starts (a supervisor's log rotation or config
// reload) must not end it: a real `distdb node` is sent SIGHUP while it
// loads its modules (in its own and its storage engine's process, by a
// preloaded module hook), and then every 20 ms until it serves. It comes
// up, serves, and makes the reload once serving; its storage engine ignores
// SIGHUP instead of dying and being restarted.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { connect } from '../../src/client/index.js';
import { freePort, startDistdb, tempDir } from '../helpers/processes.js';
import { NODE_READY, isAlive, runDistdb } from './node-helpers.js';

const PRELOAD = pathToFileURL(
  fileURLToPath(new URL('../helpers/sighup-while-loading.js', import.meta.url)),
).href;

/** Whether `pid` has a handler for SIGHUP (bit 0 of SigCgt in /proc). */
function catchesSighup(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return (BigInt(`0x${/SigCgt:\s+([0-9a-f]+)/.exec(status)?.[1] ?? '0'}`) & 1n) === 1n;
  } catch {
    return false; // gone, or not started yet
  }
}

function count(text: string, re: RegExp): number {
  return text.match(new RegExp(re.source, 'g'))?.length ?? 0;
}

test('SIGHUP while a node starts: it comes up, serves, and reloads once serving; its engine ignores SIGHUP', async () => {
  const dir = tempDir('distdb-sighup-start-');
  const usersFile = join(dir.path, 'users.json');
  const hash = (await runDistdb(['hash-password'], { input: 'a-pw' })).stdout.trim();
  writeFileSync(
    usersFile,
    JSON.stringify({ users: [{ name: 'a', permission: 'readwrite', passwordHash: hash }] }),
  );
  const port = await freePort();
  const node = startDistdb(
    [
      'node',
      '--data-dir',
      join(dir.path, 'data'),
      '--port',
      String(port),
      '--users-file',
      usersFile,
    ],
    { env: { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${PRELOAD}` } },
  );
  try {
    const running = (): boolean => node.child.exitCode === null && node.child.signalCode === null;
    // Node's own start-up, before any of our code runs, is not covered: wait it out.
    while (!catchesSighup(node.pid) && running()) await sleep(1);
    let sent = 0;
    while (!NODE_READY.test(node.output()) && running()) {
      process.kill(node.pid, 'SIGHUP');
      sent++;
      await sleep(20);
    }
    await node.waitFor(NODE_READY);
    const enginePid = Number((await node.waitFor(/storage engine running pid=(\d+)/))[1]);

    // The node's process and its engine each got a SIGHUP while loading their modules.
    await node.waitFor(/SIGHUP while the node is starting: reloading once it serves/);
    await node.waitFor(/users reloaded: 1 users/);
    await node.waitFor(/SIGHUP ignored: the storage engine has nothing to reload/);
    // The first connection authenticates (an scrypt check) with a node that
    // has just started and reloaded: the default 5 s to connect ran out once
    // in a full run beside another (load average 12-22). 30 s only catches a hang.
    const c = await connect({ port, user: 'a', password: 'a-pw', connectTimeoutMs: 30_000 });
    try {
      await c.set('k', 'v');
      assert.equal(await c.getString('k'), 'v');

      const ignored = /SIGHUP ignored: the storage engine has nothing to reload/;
      const before = count(node.output(), ignored);
      process.kill(enginePid, 'SIGHUP');
      for (let i = 0; count(node.output(), ignored) === before; i++) {
        if (i > 500) assert.fail(`the engine logged nothing after SIGHUP:\n${node.output()}`);
        await sleep(20);
      }
      assert.ok(isAlive(enginePid), 'the storage engine is still running');
      assert.doesNotMatch(node.output(), /restarting it/);
      assert.equal(await c.getString('k'), 'v');
    } finally {
      await c.close();
    }
    assert.ok(sent > 0);
    assert.ok(running());
  } finally {
    await node.stop();
    dir.remove();
  }
});
