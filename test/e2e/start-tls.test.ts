// `distdb start --tls-cert-dir <dir>`: a local three-node cluster with TLS on
// every port from one directory of certificates (ca.crt, n1.crt, n1.key, ...)
// made as the README says. The nodes elect a leader over mutual TLS, clients
// connect with the CA the banner names, plain clients are refused with
// --tls-required; a directory missing a node's files stops it before any node starts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestCa } from '../helpers/certs.js';
import { freePortBlock, startDistdb, tempDir } from '../helpers/processes.js';
import { descendants, isAlive, runDistdb } from './node-helpers.js';

/** A certificate directory for nodes `ids`: ca.crt and <id>.crt / <id>.key. */
function certDir(root: string, ids: string[]): string {
  const dir = join(root, 'tls');
  mkdirSync(dir);
  const ca = new TestCa(dir);
  for (const id of ids) ca.issue(id, '');
  return dir;
}

test('distdb start --tls-cert-dir runs a TLS cluster and prints how to connect', async () => {
  const cwd = tempDir();
  const port = await freePortBlock([0, 1, 2, 100, 101, 102, 1000, 1001, 1002]);
  certDir(cwd.path, ['n1', 'n2', 'n3']);
  const start = startDistdb(
    ['start', '--port', String(port), '--tls-cert-dir', 'tls', '--tls-required'],
    { cwd: cwd.path },
  );
  let processes: number[] = [];
  try {
    await start.waitFor(/Ctrl-C/, 60_000);
    processes = descendants(start.pid);
    const out = start.output();
    assert.match(out, new RegExp(`npx distdb client --port ${port} --tls-ca \\./tls/ca\\.crt`));
    assert.match(out, /Dashboard:\s+https:\/\//);
    // Written through n2 (whichever node leads, over the nodes' mutual TLS), read on n3.
    const set = await runDistdb(
      ['client', '--port', String(port + 1), '--tls-ca', 'tls/ca.crt', 'SET', 'k', 'over-tls'],
      { cwd: cwd.path },
    );
    assert.equal(set.code, 0, set.stderr);
    const get = await runDistdb(
      ['client', '--port', String(port + 2), '--tls-ca', 'tls/ca.crt', 'GET', 'k'],
      { cwd: cwd.path },
    );
    assert.equal(get.stdout.trim(), 'over-tls', get.stderr);
    const status = await runDistdb(
      ['cluster', 'status', '--port', String(port), '--tls-ca', 'tls/ca.crt'],
      { cwd: cwd.path },
    );
    assert.equal(status.code, 0, status.stderr);
    for (const id of ['n1', 'n2', 'n3']) assert.match(status.stdout, new RegExp(`^${id} `, 'm'));
    const plain = await runDistdb(['client', '--port', String(port), 'PING'], { cwd: cwd.path });
    assert.match(plain.stderr, /this node requires TLS/);
    start.kill('SIGINT');
    assert.equal(await start.exited, 0);
  } finally {
    await start.stop();
    for (const pid of processes) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    cwd.remove();
  }
});

test('distdb start --tls-cert-dir without a node certificate refuses before starting any node', async () => {
  const cwd = tempDir();
  try {
    certDir(cwd.path, ['n1', 'n2']);
    const r = await runDistdb(
      [
        'start',
        '--port',
        String(await freePortBlock([0, 1, 2, 100, 1000])),
        '--tls-cert-dir',
        'tls',
      ],
      { cwd: cwd.path },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /--tls-cert-dir tls \(n3\.crt\): cannot read the certificate file .*n3\.crt: no such file/,
    );
    assert.equal(existsSync(join(cwd.path, 'data')), false, 'no node was started');
  } finally {
    cwd.remove();
  }
});
