// --max-output-buffer must hold a reply carrying one --max-value-size value
// (the value plus its RESP framing): with less, a value could be written that
// no client could read (its reply would pass the output limit, and the client
// asking for it would be disconnected). A node given such a pair refuses to
// start, naming both settings and what to change; at the smallest allowed
// output limit, a value of exactly --max-value-size is stored and served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { oneValueReplyBytes } from '../../src/coordinator/limits.js';
import { freePort, tempDir } from '../helpers/processes.js';
import { outcome, RawConnection, startNode, text } from './coordinator-support.js';

/** The refusal for an output limit of `output` bytes and a value limit of `value` bytes. */
function refusal(output: number, value: number, largestValue: number): RegExp {
  const reply = oneValueReplyBytes(value);
  return new RegExp(
    `--max-output-buffer \\(DISTDB_MAX_OUTPUT_BUFFER\\) is ${output} bytes, too small for a reply carrying one ` +
      `--max-value-size \\(DISTDB_MAX_VALUE_SIZE\\) value of ${value} bytes \\(${reply} bytes with its ` +
      `${reply - value} bytes of RESP framing\\): a client reading such a value would be disconnected ` +
      `instead of answered; raise --max-output-buffer to at least ${reply} or lower --max-value-size to at most ${largestValue}`,
  );
}

test('distdb node refuses a --max-value-size above --max-output-buffer, before starting the engine', async () => {
  const dir = tempDir();
  try {
    const dataDir = join(dir.path, 'data');
    const r = await outcome([
      'node',
      '--data-dir',
      dataDir,
      '--port',
      String(await freePort()),
      '--max-value-size',
      '2mb',
      '--max-output-buffer',
      '1mb',
    ]);
    assert.equal(r.status, 2, r.output);
    // 1048576 - 7 digits - 9 bytes of framing.
    assert.match(r.output, refusal(1024 * 1024, 2 * 1024 * 1024, 1024 * 1024 - 16));
    assert.equal(existsSync(dataDir), false, 'no data dir: the engine was never started');
  } finally {
    dir.remove();
  }
});

test('distdb coordinator refuses DISTDB_MAX_VALUE_SIZE equal to DISTDB_MAX_OUTPUT_BUFFER: the framing does not fit', async () => {
  const dir = tempDir();
  try {
    const r = await outcome(
      ['coordinator', '--data-dir', dir.path, '--port', String(await freePort())],
      { DISTDB_MAX_VALUE_SIZE: '1mb', DISTDB_MAX_OUTPUT_BUFFER: '1mb' },
    );
    assert.equal(r.status, 2, r.output);
    assert.match(r.output, refusal(1024 * 1024, 1024 * 1024, 1024 * 1024 - 16));
  } finally {
    dir.remove();
  }
});

test('at the smallest output limit for --max-value-size, a value of exactly that size is stored and served', async () => {
  const valueSize = 100_000;
  const node = await startNode([
    '--max-value-size',
    String(valueSize),
    '--max-output-buffer',
    String(oneValueReplyBytes(valueSize)),
  ]);
  const c = await RawConnection.open(node.port);
  try {
    const value = 'v'.repeat(valueSize);
    const other = 'w'.repeat(valueSize);
    assert.equal(text(await c.command('SET', 'k', value)), 'OK');
    assert.equal(text(await c.command('GET', 'k')), value);
    assert.equal(text(await c.command('MGET', 'k')), `[${value}]`);
    assert.equal(text(await c.command('SET', 'k', other, 'GET')), value);
    assert.equal(text(await c.command('GET', 'k')), other);
    assert.match(
      text(await c.command('SET', 'k', value + 'v')),
      /ERR value is 100001 bytes, larger than the 100000-byte limit/,
    );
    assert.equal(c.closed, false, 'the client was served, not disconnected');
  } finally {
    c.close();
    await node.stop();
  }
});
