// A node's logs: every line a `distdb node` writes to stderr (its own and its
// storage engine's) is one JSON object naming the node and the component; the
// events an operator looks for (leader changes, storage restarts) are there
// at info or above, and no stored value ever appears.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startDistdb, tempDir } from '../helpers/processes.js';
import { RawConnection, text } from './coordinator-support.js';
import { NODE_READY, runDistdb, storagePid } from './node-helpers.js';

interface LogLine {
  level: number;
  time: string;
  node: string;
  component: string;
  msg: string;
  [field: string]: unknown;
}

const INFO = 30;
const COMPONENTS = ['storage', 'supervisor', 'coordinator', 'raft', 'peer'];

test('every stderr line of a node is JSON naming the node and its component', async () => {
  const dir = tempDir('distdb-logs-');
  const port = await freePort();
  const node = startDistdb([
    'node',
    '--data-dir',
    join(dir.path, 'data'),
    '--port',
    String(port),
    '--id',
    'logs-n1',
  ]);
  let stderr = '';
  node.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  try {
    await node.waitFor(NODE_READY);
    const conn = await RawConnection.open(port);
    // Writes wait for the node to lead its group of one.
    assert.equal(text(await conn.command('SET', 'secret-key', 's3cr3t-value')), 'OK');
    conn.close();
    const first = await storagePid(node);
    process.kill(first, 'SIGKILL');
    await storagePid(node, first); // restarted
    // It leads again once it has reloaded its Raft state from the new engine.
    while (node.output().split('"role":"leader"').length < 3) await sleep(50);
  } finally {
    await node.stop();
    dir.remove();
  }

  const lines = stderr.split('\n').filter((l) => l !== '');
  const logs = lines.map((line): LogLine => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      assert.fail(`not a JSON line: ${line}`);
    }
    const l = v as LogLine;
    assert.equal(l.node, 'logs-n1', line);
    assert.ok(COMPONENTS.includes(l.component), `unknown component in ${line}`);
    assert.equal(typeof l.level, 'number', line);
    assert.equal(typeof l.msg, 'string', line);
    assert.ok(!Number.isNaN(Date.parse(l.time)), line);
    return l;
  });
  assert.deepEqual(
    [...new Set(logs.map((l) => l.component))].sort(),
    [...COMPONENTS].sort(),
    'every component logs',
  );
  const leader = logs.filter((l) => l.msg === 'raft role changed' && l.leader === 'logs-n1');
  assert.ok(leader.length >= 2 && leader.every((l) => l.level === INFO), 'leader changes at info');
  const restart = logs.find((l) => /killed by SIGKILL; restarting it/.test(l.msg));
  assert.ok(restart && restart.level >= INFO && restart.component === 'supervisor');
  assert.ok(!stderr.includes('s3cr3t-value'), 'a stored value appeared in the logs');
});

test('--log-format pretty writes lines for people, naming node and component', async () => {
  const dir = tempDir('distdb-logs-');
  const socket = join(dir.path, 'storage.sock');
  const engine = startDistdb([
    'storage',
    '--data-dir',
    join(dir.path, 'data'),
    '--socket',
    socket,
    '--id',
    'pretty-n2',
    '--log-format',
    'pretty',
  ]);
  try {
    await engine.waitFor(/distdb storage ready/);
    const line = await engine.waitFor(/^.*storage engine serving.*$/m);
    assert.match(line[0], /INFO.*pretty-n2 storage: storage engine serving/);
    assert.throws(() => JSON.parse(line[0]));
  } finally {
    await engine.stop();
    dir.remove();
  }
});

test('a bad log level or format is refused with the setting to fix', async () => {
  const level = await runDistdb(['storage', '--log-level', 'loud'], {
    env: { NODE_DATA_DIR: '/nonexistent' },
  });
  assert.equal(level.code, 2);
  assert.match(
    level.stderr,
    /--log-level \/ NODE_LOG_LEVEL\) must be one of fatal, error, warn, info/,
  );
  const format = await runDistdb(['node', '--log-format', 'xml'], {
    env: { NODE_DATA_DIR: '/nonexistent' },
  });
  assert.equal(format.code, 2);
  assert.match(
    format.stderr,
    /--log-format \/ NODE_LOG_FORMAT\) must be json or pretty, got "xml"/,
  );
});
