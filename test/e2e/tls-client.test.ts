// TLS on the client port, with real `distdb node` processes and
// certificates made by openssl: one node that takes both plain and TLS
// clients on one port, one that requires TLS and client certificates.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, ConnectionError, ReplyError } from '../../src/index.js';
import { TestCa, nodeTlsFlags, type CertFiles } from '../helpers/certs.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { runDistdb, startNode } from './node-helpers.js';

const dir = tempDir('distdb-tls-client-');
let ca: TestCa;
let evil: TestCa;
let client: CertFiles;
let evilClient: CertFiles;
let open: { port: number; proc: Proc };
let strict: { port: number; proc: Proc };
let locked: { port: number; proc: Proc };

before(async () => {
  ca = new TestCa(dir.path, 'ca');
  evil = new TestCa(dir.path, 'evil');
  client = ca.issue('app');
  evilClient = evil.issue('app');
  const n1 = ca.issue('n1');
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const [a, b, c] = await Promise.all([
    startNode(join(dir.path, 'open'), p1, nodeTlsFlags(n1, ca.cert)),
    startNode(
      join(dir.path, 'strict'),
      p2,
      nodeTlsFlags(n1, ca.cert, ['--tls-client-auth', '--log-level', 'info']),
    ),
    startNode(
      join(dir.path, 'locked'),
      p3,
      nodeTlsFlags(n1, ca.cert, ['--tls-required', '--requirepass', 'sesame']),
    ),
  ]);
  locked = { port: p3, proc: c };
  open = { port: p1, proc: a };
  strict = { port: p2, proc: b };
});

after(async () => {
  await Promise.all([open?.proc.stop(), strict?.proc.stop(), locked?.proc.stop()]);
  dir.remove();
});

test('TLS not required: plain and TLS clients share the client port and see the same data', async () => {
  const tls = await connect({ port: open.port, tls: { ca: readFileSync(ca.cert) } });
  const plain = await connect({ port: open.port });
  try {
    assert.equal(await tls.set('tls:k', 'over tls'), true);
    assert.equal(await plain.getString('tls:k'), 'over tls');
    await plain.set('tls:k2', 'over tcp');
    assert.equal(await tls.getString('tls:k2'), 'over tcp');
  } finally {
    await Promise.all([tls.close(), plain.close()]);
  }
  const set = await runDistdb([
    'client',
    '--port',
    String(open.port),
    '--tls-ca',
    ca.cert,
    'SET',
    'tls:cli',
    'v',
  ]);
  assert.equal(set.code, 0, set.stderr);
  // The certificate names localhost too: connecting by name verifies it against that name.
  const get = await runDistdb([
    'client',
    '--host',
    'localhost',
    '--port',
    String(open.port),
    '--tls-ca',
    ca.cert,
    'GET',
    'tls:cli',
  ]);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.stdout, 'v\n');
});

test('a client given the wrong CA fails with a sentence naming the CA file', async () => {
  await assert.rejects(
    connect({
      port: open.port,
      reconnect: false,
      tls: { ca: readFileSync(evil.cert), caPath: evil.cert },
    }),
    (e: Error) =>
      e instanceof ConnectionError &&
      /the server's certificate is not signed by the CA you gave \(--tls-ca .*evil\.crt\)/.test(
        e.message,
      ),
  );
  const r = await runDistdb(['client', '--port', String(open.port), '--tls-ca', evil.cert, 'PING']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not signed by the CA you gave \(--tls-ca .*evil\.crt\)/);
  assert.doesNotMatch(r.stderr, /Is a node running/);
});

test('a name the certificate does not carry is refused by the client, saying so', async () => {
  const r = await runDistdb([
    'client',
    '--port',
    String(open.port),
    '--tls-ca',
    ca.cert,
    '--tls-servername',
    'db.example.com',
    'PING',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /certificate is not for "127\.0\.0\.1".*--tls-servername/);
});

test('TLS required: a plain client is told to use TLS, by the library and by the CLI', async () => {
  const plain = await connect({ port: strict.port, reconnect: false });
  try {
    await assert.rejects(
      plain.command('PING'),
      (e: Error) => e instanceof ReplyError && /this node requires TLS/.test(e.message),
    );
  } finally {
    await plain.close();
  }
  const r = await runDistdb(['client', '--port', String(strict.port), 'PING']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /this node requires TLS; connect with TLS \(distdb client --tls/);
  await strict.proc.waitFor(/refused a plain-TCP client .*TLS is required/);
});

test('client certificates: none, or one from another CA, is refused with the reason; ours is served', async () => {
  const noCert = await connect({
    port: strict.port,
    reconnect: false,
    tls: { ca: readFileSync(ca.cert) },
  });
  try {
    await assert.rejects(
      noCert.command('PING'),
      /requires a client certificate \(--tls-client-auth\) and none was presented/,
    );
  } finally {
    await noCert.close();
  }
  const r = await runDistdb([
    'client',
    '--port',
    String(strict.port),
    '--tls-ca',
    ca.cert,
    '--tls-cert',
    evilClient.cert,
    '--tls-key',
    evilClient.key,
    'PING',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /rejected the client certificate: it is not signed by the trusted CA/);
  await strict.proc.waitFor(/refused TLS client .*rejected the client certificate/);

  const ok = await runDistdb([
    'client',
    '--port',
    String(strict.port),
    '--tls-ca',
    ca.cert,
    '--tls-cert',
    client.cert,
    '--tls-key',
    client.key,
    'PING',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'PONG\n');
});

test('a node given a TLS file that does not exist refuses to start, naming the flag', async () => {
  const r = await runDistdb([
    'node',
    '--data-dir',
    join(dir.path, 'never'),
    '--port',
    '0',
    '--tls-cert',
    join(dir.path, 'missing.crt'),
    '--tls-key',
    join(dir.path, 'missing.key'),
    '--tls-ca',
    ca.cert,
  ]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--tls-cert \(NODE_TLS_CERT\): cannot read the certificate file .*missing\.crt: no such file/,
  );
});

test('TLS and a password together: AUTH goes inside TLS before any command', async () => {
  const tls = { ca: readFileSync(ca.cert) };
  const c = await connect({ port: locked.port, password: 'sesame', tls });
  try {
    await c.set('tls:auth', 'yes');
    assert.equal(await c.getString('tls:auth'), 'yes');
  } finally {
    await c.close();
  }
  const anonymous = await connect({ port: locked.port, reconnect: false, tls });
  try {
    await assert.rejects(anonymous.get('tls:auth'), /NOAUTH/);
  } finally {
    await anonymous.close();
  }
});
