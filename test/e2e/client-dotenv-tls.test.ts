// `distdb client` and `distdb cluster` configured the original system's way,
// with nothing but a `.env` in the working directory (HOST_IP_ADDR,
// HOST_PORT, DISTDB_PASSWORD, DISTDB_TLS_CA), against a node that requires
// both TLS and a password; and what a person sees when the .env lacks the CA.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeTlsFlags, TestCa } from '../helpers/certs.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { runDistdb, startNode } from './node-helpers.js';

const PASSWORD = 'dotenv-Pw-3c9a1f';
const dir = tempDir('distdb-dotenv-');
const clientDir = join(dir.path, 'client');
let port = 0;
let node: Proc;

/** Runs `distdb <args>` in a directory whose .env holds `lines`. */
function withDotEnv(lines: string[], args: string[], input?: string) {
  writeFileSync(join(clientDir, '.env'), lines.join('\n') + '\n');
  return runDistdb(args, { cwd: clientDir, input });
}

const address = (): string[] => ['HOST_IP_ADDR=127.0.0.1', `HOST_PORT=${port}`];

before(async () => {
  const ca = new TestCa(dir.path);
  const n1 = ca.issue('n1');
  mkdirSync(clientDir);
  port = await freePort();
  process.env['NODE_PASSWORD'] = PASSWORD; // inherited by the node only
  try {
    node = await startNode(
      join(dir.path, 'data'),
      port,
      nodeTlsFlags(n1, ca.cert, ['--tls-required']),
    );
  } finally {
    delete process.env['NODE_PASSWORD'];
  }
});

after(async () => {
  await node?.stop();
  dir.remove();
});

test('password and TLS from .env alone: one command, the shell, and cluster status', async () => {
  // A relative CA path, as a .env next to the certificates would have it.
  const env = [...address(), `DISTDB_PASSWORD=${PASSWORD}`, 'DISTDB_TLS_CA=../ca.crt'];
  const set = await withDotEnv(env, ['client', 'SET', 'greeting', 'hello']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), 'OK');
  const shell = await withDotEnv(env, ['client'], 'GET greeting\n');
  assert.equal(shell.code, 0, shell.stderr);
  assert.match(shell.stdout, /hello/);
  const status = await withDotEnv(env, ['cluster', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^node n1: leader/);
});

test('.env without the CA: the error says TLS is required and which variable to set, not that the password is wrong', async () => {
  const r = await withDotEnv([...address(), `DISTDB_PASSWORD=${PASSWORD}`], ['client', 'PING']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /this node requires TLS/);
  assert.match(r.stderr, /DISTDB_TLS_CA=<ca\.pem> in the environment or \.env/);
  assert.doesNotMatch(r.stderr, /credentials/);
});

test('.env with DISTDB_TLS=1 but no CA: the error says no CA was given and which variable takes it', async () => {
  const env = [...address(), `DISTDB_PASSWORD=${PASSWORD}`, 'DISTDB_TLS=1'];
  const r = await withDotEnv(env, ['client', 'PING']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /not signed by a CA this machine trusts \(SELF_SIGNED_CERT_IN_CHAIN\); give the CA that signed it with --tls-ca \(env DISTDB_TLS_CA\)/,
  );
});
