// SIGHUP on a real `distdb node` with a users file and TLS: the users and the
// certificates of the client, HTTP and peer ports are replaced for new
// connections; open connections of a user the reload removed or changed are
// closed, the others keep working as they were; and a bad file changes
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
import { RawConnection, text } from './coordinator-support.js';
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
const raws: RawConnection[] = [];

/** Hashes made so far, by password: a user written again with the same password keeps its hash. */
const hashes = new Map<string, string>();

async function hash(password: string): Promise<string> {
  let h = hashes.get(password);
  if (h === undefined) {
    h = (await runDistdb(['hash-password'], { input: password })).stdout.trim();
    hashes.set(password, h);
  }
  return h;
}

/** Writes the users file: `users` read-write, `readers` read-only, by name and password. */
async function writeUsers(
  users: Record<string, string>,
  readers: Record<string, string> = {},
): Promise<void> {
  const entry = async (name: string, pw: string, permission: string): Promise<object> => ({
    name,
    permission,
    passwordHash: await hash(pw),
  });
  const entries = await Promise.all([
    ...Object.entries(users).map(([name, pw]) => entry(name, pw, 'readwrite')),
    ...Object.entries(readers).map(([name, pw]) => entry(name, pw, 'read')),
  ]);
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
  for (const r of raws) r.close();
  await node?.stop();
  dir.remove();
});

/** A plain connection authenticated as `user`. */
async function rawLogin(user: string, password: string): Promise<RawConnection> {
  const c = await RawConnection.open(ports.client);
  raws.push(c);
  assert.equal(text(await c.command('AUTH', user, password)), 'OK');
  return c;
}

/** Whether the node closed `c` (it reads EOF) within a few seconds. */
async function closedByNode(c: RawConnection): Promise<boolean> {
  const timeout = sleep(5000).then(() => false);
  return Promise.race([c.closedPromise.then(() => true), timeout]);
}

test('SIGHUP replaces the users: a removed or changed user cannot log in, and its open connections are closed; the others stay', async () => {
  await writeUsers({ a: 'a-pw', b: 'b-pw', c: 'c-pw', r: 'r-pw' });
  await hangup(/users reloaded: 4 users/);
  const asA = [await rawLogin('a', 'a-pw'), await rawLogin('a', 'a-pw')];
  const asB = await rawLogin('b', 'b-pw');
  const asC = await rawLogin('c', 'c-pw');
  const asR = await rawLogin('r', 'r-pw');
  assert.equal(text(await asA[0]!.command('SET', 'k', 'by a')), 'OK');

  // a removed, b's password changed, c unchanged, r made read-only.
  await writeUsers({ b: 'b-new-pw', c: 'c-pw' }, { r: 'r-pw' });
  await hangup(/users reloaded: 3 users/);
  for (const conn of [...asA, asB, asR]) assert.ok(await closedByNode(conn), 'closed by the node');
  assert.equal(text(await asC.command('GET', 'k')), 'by a', 'an unchanged user stays connected');
  assert.equal(text(await asC.command('SET', 'k', 'by c')), 'OK');
  assert.match(node.output(), /closed 2 connections of user a, removed or changed by the reload/);
  assert.match(node.output(), /closed 1 connections of user b,/);
  assert.match(node.output(), /closed 1 connections of user r,/);
  assert.doesNotMatch(node.output(), /connections of user c,/);

  await assert.rejects(login('a', 'a-pw'), AuthError, 'a was removed');
  await assert.rejects(login('b', 'b-pw'), AuthError, "b's old password");
  const asB2 = await login('b', 'b-new-pw');
  assert.equal(await asB2.getString('k'), 'by c');

  // b's password was just verified, so it is remembered: a change must still refuse it.
  await writeUsers({ b: 'b-newer-pw' });
  await hangup(/users reloaded: 1 users/);
  await assert.rejects(login('b', 'b-new-pw'), AuthError, "b's old password");
  await login('b', 'b-newer-pw');
  await writeUsers({ b: 'b-new-pw' }); // as the tests below expect
  await hangup(/users reloaded: 1 users/);
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
