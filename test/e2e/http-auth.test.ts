// The HTTP port of a node with users: every route but /health needs Basic
// credentials (401 with WWW-Authenticate otherwise); a read user may not
// write, a user with a key prefix may use only its keys and not the
// whole-node routes (403), as on the client port.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashPassword } from '../../src/coordinator/auth/password-hash.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { httpPortOf, openEvents, waitHealthy } from './http-support.js';
import { startNode } from './node-helpers.js';

let dir: ReturnType<typeof tempDir>;
let node: Proc;
let base = '';
let httpPort = 0;

const basic = (user: string, password: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const admin = basic('admin', 'admin-pw');
const viewer = basic('viewer', 'viewer-pw');
const app = basic('app', 'app-pw');

before(async () => {
  dir = tempDir();
  const users = join(dir.path, 'users.json');
  const entry = (name: string, permission: string, password: string, keyPrefix?: string) => ({
    name,
    permission,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    passwordHash: hashPassword(password),
  });
  writeFileSync(
    users,
    JSON.stringify({
      users: [
        entry('admin', 'readwrite', 'admin-pw'),
        entry('viewer', 'read', 'viewer-pw'),
        entry('app', 'readwrite', 'app-pw', 'app:'),
      ],
    }),
  );
  const port = await freePort();
  node = await startNode(join(dir.path, 'data'), port, ['--users-file', users, '--http-port', '0']);
  httpPort = await httpPortOf(node);
  base = `http://127.0.0.1:${httpPort}`;
  await waitHealthy(base);
});

after(async () => {
  await node?.stop();
  dir?.remove();
});

test('/health needs no credentials', async () => {
  assert.equal((await fetch(`${base}/health`)).status, 200);
});

test('every other route answers 401 with a Basic challenge without (right) credentials', async () => {
  for (const path of ['/', '/status', '/metrics', '/v1/kv/k']) {
    for (const headers of [{}, basic('admin', 'wrong'), basic('nobody', 'x')]) {
      const res = await fetch(base + path, { headers });
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="distdb"/);
      assert.ok(((await res.json()) as { error: string }).error);
    }
  }
  const stream = await openEvents(httpPort);
  assert.equal(stream.status, 401);
  stream.close();
});

test('an admin reads, writes and sees the whole node', async () => {
  const put = await fetch(`${base}/v1/kv/shared`, { method: 'PUT', body: 'v1', headers: admin });
  assert.equal(put.status, 204);
  const got = await fetch(`${base}/v1/kv/shared`, { headers: admin });
  assert.equal(await got.text(), 'v1');
  assert.equal((await fetch(`${base}/status`, { headers: admin })).status, 200);
  assert.equal((await fetch(`${base}/`, { headers: admin })).status, 200);
  const stream = await openEvents(httpPort, '/events', admin);
  assert.equal(stream.status, 200);
  await stream.next(1);
  stream.close();
});

test('a read user reads and views, but may not write', async () => {
  assert.equal((await fetch(`${base}/v1/kv/shared`, { headers: viewer })).status, 200);
  assert.equal((await fetch(`${base}/status`, { headers: viewer })).status, 200);
  for (const method of ['PUT', 'DELETE']) {
    const res = await fetch(`${base}/v1/kv/shared`, {
      method,
      body: method === 'PUT' ? 'x' : undefined,
      headers: viewer,
    });
    assert.equal(res.status, 403, method);
    assert.match(((await res.json()) as { error: string }).error, /read-only/);
  }
  assert.equal(await (await fetch(`${base}/v1/kv/shared`, { headers: admin })).text(), 'v1');
});

test('a user with a key prefix uses only its keys and not the whole-node routes', async () => {
  const mine = await fetch(`${base}/v1/kv/app%3Aone`, { method: 'PUT', body: 'a', headers: app });
  assert.equal(mine.status, 204);
  assert.equal(await (await fetch(`${base}/v1/kv/app:one`, { headers: app })).text(), 'a');
  for (const [method, path] of [
    ['GET', '/v1/kv/shared'],
    ['PUT', '/v1/kv/other'],
    ['GET', '/status'],
    ['GET', '/metrics'],
    ['GET', '/'],
  ] as const) {
    const res = await fetch(base + path, {
      method,
      body: method === 'PUT' ? 'x' : undefined,
      headers: app,
    });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.match(((await res.json()) as { error: string }).error, /app:/);
  }
});
