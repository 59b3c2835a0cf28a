// The test helpers' port claims: test files run in parallel processes, and a
// port one of them handed out must not be handed out by another while the
// first still runs, even when nothing listens on it (a node being restarted).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { claimPort, DISTDB_MAIN } from '../helpers/processes.js';

const HELPERS = pathToFileURL(join(DISTDB_MAIN, '../../../test/helpers/processes.js')).href;

/** A process that draws a port with freePort(), prints it, then waits for stdin to close. */
async function holder(): Promise<{ port: number; kill9(): Promise<void>; end(): Promise<void> }> {
  const code = `import { freePort } from ${JSON.stringify(HELPERS)};
    console.log(await freePort());
    process.stdin.resume().on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const exited = once(child, 'exit');
  return {
    port: Number(line.toString().trim()),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    end: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

test('a port another running test process drew is not claimed; once that process is killed, it is', async () => {
  const other = await holder();
  try {
    assert.equal(claimPort(other.port), false, 'held by a running process');
  } finally {
    await other.kill9();
  }
  assert.equal(claimPort(other.port), false, 'the stale claim is dropped on this draw');
  assert.equal(claimPort(other.port), true, 'and the port is free for the next');
});

test('a test process that ends gives its ports back', async () => {
  const other = await holder();
  const file = join(tmpdir(), 'distdb-test-ports', String(other.port));
  try {
    assert.ok(existsSync(file));
  } finally {
    await other.end();
  }
  assert.ok(!existsSync(file));
});
