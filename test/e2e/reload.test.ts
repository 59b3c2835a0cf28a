// SIGHUP on a real `distdb node` with a users file and TLS: the users and the
// certificates of the client, HTTP and peer ports are replaced for new
// connections, open ones keep working as they were, and a bad file changes
// nothing (all or nothing) while the node keeps serving.

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { AuthError, connect, type Client } from '../../src/client/index.js';
import { TestCa, nodeTlsFlags, type CertFiles } from '../helpers/certs.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { runDistdb, startNode } from './node-helpers.js';

const dir = tempDir('distdb-reload-');
const usersFile = join(dir.path, 'users.json');
/** The node's files: the first certificate, later overwritten by `second`. */
let live: CertFiles;
let first: CertFiles;
let second: CertFiles;
let ca: TestCa;
let node: Proc;
const ports = { client: 0, http: 0, peer: 0 };
const clients: Client[] = [];

async function hash(password: string): Promise<string> {
  const r = await runDistdb(['hash-password'], { input: password });
  return r.stdout.trim();
}

async function writeUsers(users: Record<string, string>): Promise<void> {
  const entries = await Promise.all(
    Object.entries(users).map(async ([name, pw]) => ({
      name,
      permission: 'readwrite',
      passwordHash: await hash(pw),
    })),
  );
  writeFileSync(usersFile, JSON.stringify({ users: entries }));
}

/**
 * Sends SIGHUP and waits until `re` appears once more in the node's output
 * than before the signal (every successful reload logs its lines again).
 */
async function hangup(re: RegExp): Promise<void> {
  const all = new RegExp(re.source, 'g');
  const seen = (): number => node.output().match(all)?.length ?? 0;
  const before = seen();
  process.kill(node.pid, 'SIGHUP');
  for (let i = 0; seen() <= before; i++) {
    if (i > 300) assert.fail(`no new ${re} after SIGHUP; output:\n${node.output()}`);
    await sleep(50);
  }
}

async function login(user: string, password: string): Promise<Client> {
  const c = await connect({ port: ports.client, user, password });
  clients.push(c);
  return c;
}

/** SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
function fingerprintAt(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.once('error', reject);
  });
}

function fingerprintOf(files: CertFiles): string {
  return new X509Certificate(readFileSync(files.cert)).fingerprint256;
}

async function fingerprints(): Promise<string[]> {
  return Promise.all([ports.client, ports.http, ports.peer].map(fingerprintAt));
}

before(async () => {
  ca = new TestCa(dir.path, 'ca');
  first = ca.issue('n1', 'first-');
  second = ca.issue('n1', 'second-');
  live = { cert: join(dir.path, 'n1.crt'), key: join(dir.path, 'n1.key') };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  await writeUsers({ a: 'a-pw' });
  ports.client = await freePort();
  ports.http = await freePort();
  ports.peer = await freePort();
  node = await startNode(join(dir.path, 'data'), ports.client, [
    '--users-file',
    usersFile,
    '--http-port',
    String(ports.http),
    '--peer-port',
    String(ports.peer),
    ...nodeTlsFlags(live, ca.cert),
  ]);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.stop();
  dir.remove();
});

test('SIGHUP replaces the users for new connections; an open connection keeps its user', async () => {
  const asA = await login('a', 'a-pw');
  await asA.set('k', 'by a');

  await writeUsers({ b: 'b-pw' });
  await hangup(/users reloaded: 1 users/);
  await assert.rejects(login('a', 'a-pw'), AuthError, 'a was removed');
  const asB = await login('b', 'b-pw');
  assert.equal(await asB.getString('k'), 'by a');
  await asA.set('k', 'still a'); // authenticated before the reload: keeps its user
  assert.equal(await asB.getString('k'), 'still a');

  // b's password was just verified, so it is remembered: a change must still refuse it.
  await writeUsers({ b: 'b-new-pw' });
  await hangup(/users reloaded: 1 users/);
  await assert.rejects(login('b', 'b-pw'), AuthError, "b's old password");
  await login('b', 'b-new-pw');
});

test('an invalid users file on SIGHUP changes nothing and the node keeps serving', async () => {
  writeFileSync(usersFile, '{"users": [');
  await hangup(/reload on SIGHUP failed[^\n]*users\.json is not valid JSON/);
  const asB = await login('b', 'b-new-pw');
  assert.equal(await asB.ping(), 'PONG');
  await assert.rejects(login('a', 'a-pw'), AuthError);
  assert.equal(node.child.exitCode, null);
  await writeUsers({ b: 'b-new-pw' }); // good again, for the tests below
});

test('SIGHUP rotates the certificate of the client, HTTP and peer ports for new connections', async () => {
  assert.deepEqual(await fingerprints(), Array(3).fill(fingerprintOf(first)));
  const open = await connect({
    port: ports.client,
    user: 'b',
    password: 'b-new-pw',
    tls: { ca: readFileSync(ca.cert) },
  });
  clients.push(open);

  copyFileSync(second.cert, live.cert);
  copyFileSync(second.key, live.key);
  await hangup(/TLS certificates reloaded/);
  assert.deepEqual(await fingerprints(), Array(3).fill(fingerprintOf(second)));
  assert.equal(await open.ping(), 'PONG', 'a TLS connection made before the reload still works');
});

test('a bad TLS file on SIGHUP keeps the old users and certificates (all or nothing)', async () => {
  await writeUsers({ a: 'a-pw' }); // valid, but must not be taken: the key below is wrong
  copyFileSync(first.key, live.key); // not the key of the certificate now in live.cert
  await hangup(/reload on SIGHUP failed[^\n]*n1\.key is not the private key/);
  assert.deepEqual(await fingerprints(), Array(3).fill(fingerprintOf(second)));
  await assert.rejects(login('a', 'a-pw'), AuthError, 'the users were not replaced');
  await login('b', 'b-new-pw');
  assert.equal(node.child.exitCode, null);
});
