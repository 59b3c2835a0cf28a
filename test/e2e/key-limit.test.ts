// --max-key-size cannot exceed what the storage engine stores: a node given
// more refuses to start (before it starts its engine), naming the flag, the
// environment variable and the maximum; at the maximum, keys that long work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STORAGE_MAX_KEY_BYTES } from '../../src/storage/api.js';
import { freePort, tempDir } from '../helpers/processes.js';
import { outcome, RawConnection, startNode, text } from './coordinator-support.js';

const TOO_BIG = new RegExp(
  `--max-key-size \\(DISTDB_MAX_KEY_SIZE\\) is (\\d+) bytes, above the storage engine's key limit of ${STORAGE_MAX_KEY_BYTES} bytes; set it to ${STORAGE_MAX_KEY_BYTES} or less`,
);

test('distdb node refuses a --max-key-size above the engine limit, before starting the engine', async () => {
  const dir = tempDir();
  try {
    const dataDir = join(dir.path, 'data');
    const port = String(await freePort());
    const r = await outcome([
      'node',
      '--data-dir',
      dataDir,
      '--port',
      port,
      '--max-key-size',
      String(STORAGE_MAX_KEY_BYTES + 1),
    ]);
    assert.equal(r.status, 2, r.output);
    assert.match(r.output, TOO_BIG);
    assert.equal(existsSync(dataDir), false, 'no data dir: the engine was never started');
  } finally {
    dir.remove();
  }
});

test('distdb coordinator refuses DISTDB_MAX_KEY_SIZE above the engine limit', async () => {
  const dir = tempDir();
  try {
    const r = await outcome(
      ['coordinator', '--data-dir', dir.path, '--port', String(await freePort())],
      { DISTDB_MAX_KEY_SIZE: '2kb' },
    );
    assert.equal(r.status, 2, r.output);
    assert.equal(TOO_BIG.exec(r.output)?.[1], '2048', r.output);
  } finally {
    dir.remove();
  }
});

test('at the engine limit, a key of that length is stored and one byte more is refused', async () => {
  const node = await startNode(['--max-key-size', String(STORAGE_MAX_KEY_BYTES)]);
  const c = await RawConnection.open(node.port);
  try {
    const key = 'k'.repeat(STORAGE_MAX_KEY_BYTES);
    assert.equal(text(await c.command('SET', key, 'v')), 'OK');
    assert.equal(text(await c.command('GET', key)), 'v');
    assert.match(
      text(await c.command('SET', key + 'k', 'v')),
      new RegExp(
        `ERR key is ${STORAGE_MAX_KEY_BYTES + 1} bytes, larger than the ${STORAGE_MAX_KEY_BYTES}-byte limit`,
      ),
    );
  } finally {
    c.close();
    await node.stop();
  }
});
