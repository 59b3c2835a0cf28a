// The HTTP port of one real `distdb node`: /health, the key/value API
// (round trip of binary keys and values, 404, the value-size and key-size
// limits, methods), /status, the event stream and its bound, and that the
// key/value API and the client port see the same data.

import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type Client } from '../../src/index.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { openEvents, httpPortOf, waitHealthy, type EventStream } from './http-support.js';
import { startNode } from './node-helpers.js';

let dir: ReturnType<typeof tempDir>;
let node: Proc;
let client: Client;
let base = '';
let httpPort = 0;

before(async () => {
  dir = tempDir();
  const port = await freePort();
  node = await startNode(join(dir.path, 'data'), port, [
    '--http-port',
    '0',
    '--max-value-size',
    '1kb',
  ]);
  httpPort = await httpPortOf(node);
  base = `http://127.0.0.1:${httpPort}`;
  client = await connect({ port });
});

after(async () => {
  await client?.close();
  await node?.stop();
  dir?.remove();
});

test('GET /health: 200 with the leader once the node serves', async () => {
  await waitHealthy(base);
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, leader: 'n1' });
});

test('PUT, GET and DELETE /v1/kv/<key> round-trip binary keys and values', async () => {
  const value = Buffer.from([0, 1, 2, 255, 13, 10]);
  const put = await fetch(`${base}/v1/kv/bin%00%FFkey`, { method: 'PUT', body: value });
  assert.equal(put.status, 204);
  const got = await fetch(`${base}/v1/kv/bin%00%FFkey`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'application/octet-stream');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), value);
  // The client port sees the same key: one store, one path.
  assert.deepEqual(await client.get(Buffer.from('bin\x00\xffkey', 'latin1')), value);
  const del = await fetch(`${base}/v1/kv/bin%00%FFkey`, { method: 'DELETE' });
  assert.equal(del.status, 204);
  assert.equal((await fetch(`${base}/v1/kv/bin%00%FFkey`)).status, 404);
});

test('a key written on the client port reads over HTTP, also with ?stale=1', async () => {
  await client.set('user:1', 'Ada');
  for (const q of ['', '?stale=1']) {
    const res = await fetch(`${base}/v1/kv/user%3A1${q}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Ada');
  }
});

test('absent keys: GET and DELETE answer 404 with a JSON error', async () => {
  for (const method of ['GET', 'DELETE']) {
    const res = await fetch(`${base}/v1/kv/never-written`, { method });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'no such key' });
  }
});

test('limits: a body over the value limit is 413 and writes nothing; an oversized key is 400', async () => {
  const big = await fetch(`${base}/v1/kv/big`, { method: 'PUT', body: Buffer.alloc(1025) });
  assert.equal(big.status, 413);
  assert.match(
    ((await big.json()) as { error: string }).error,
    /1025 bytes.*1024-byte.*--max-value-size/,
  );
  assert.equal((await fetch(`${base}/v1/kv/big`)).status, 404);
  const fits = await fetch(`${base}/v1/kv/big`, { method: 'PUT', body: Buffer.alloc(1024, 97) });
  assert.equal(fits.status, 204);

  const longKey = await fetch(`${base}/v1/kv/${'k'.repeat(1025)}`, { method: 'PUT', body: 'v' });
  assert.equal(longKey.status, 400);
  assert.match(
    ((await longKey.json()) as { error: string }).error,
    /key is 1025 bytes.*--max-key-size/,
  );
});

test('bad requests get a JSON error naming what to do', async () => {
  const cases: Array<[string, RequestInit, number, RegExp]> = [
    ['/v1/kv/', {}, 400, /name a key/],
    ['/v1/kv/bad%zz', {}, 400, /name a key/],
    ['/v1/kv/k?stale=yes', {}, 400, /stale must be 1/],
    ['/v1/kv/k', { method: 'POST', body: 'x' }, 405, /GET, PUT or DELETE/],
    ['/status', { method: 'DELETE' }, 405, /use GET/],
    ['/nowhere', {}, 404, /no such path/],
  ];
  for (const [path, init, status, message] of cases) {
    const res = await fetch(base + path, init);
    assert.equal(res.status, status, path);
    assert.match(((await res.json()) as { error: string }).error, message, path);
  }
});

test('malformed HTTP and oversized headers get a JSON error and a closed connection', async () => {
  const raw = (text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connectTcp(httpPort, '127.0.0.1', () => socket.end(text));
      let out = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (out += d));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
    });
  assert.match(
    await raw('NOT HTTP AT ALL\r\n\r\n'),
    /^HTTP\/1\.1 400[^]*"error":"malformed HTTP request"/,
  );
  const huge = `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  assert.match(await raw(huge), /^HTTP\/1\.1 431[^]*headers are too large/);
});

test("GET /status embeds CLUSTER STATUS and this node's key count", async () => {
  const body = (await (await fetch(`${base}/status`)).json()) as {
    cluster: unknown;
    node: { id: string; keys: number; diskBytes: number; commandsTotal: number };
    members: Array<{ id: string; figures: unknown }>;
  };
  assert.deepEqual(body.cluster, JSON.parse(String(await client.command('CLUSTER', 'STATUS'))));
  assert.equal(body.node.id, 'n1');
  assert.equal(body.node.keys, Number(await client.command('DBSIZE')));
  assert.ok(body.node.diskBytes > 0);
  assert.ok(body.node.commandsTotal > 0);
  assert.deepEqual(
    body.members.map((m) => m.id),
    ['n1'],
  );
});

test('GET / serves the dashboard page', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await res.text(), /<title>distdb dashboard<\/title>/);
});

test('GET /events sends a status report every second; closed streams free their slot', async () => {
  const first = await openEvents(httpPort);
  assert.equal(first.status, 200);
  const [a, b] = (await first.next(2)) as Array<{ time: number; node: { id: string } }>;
  assert.equal(a?.node.id, 'n1');
  assert.ok(b!.time > a!.time);

  // The bound: 32 streams at once; one more is refused until one closes.
  const more: EventStream[] = [];
  for (let i = 1; i < 32; i++) more.push(await openEvents(httpPort));
  const refused = await openEvents(httpPort);
  assert.equal(refused.status, 503);
  refused.close();
  first.close();
  let again: EventStream | null = null;
  for (let tries = 0; tries < 100 && again === null; tries++) {
    const s = await openEvents(httpPort);
    if (s.status === 200) again = s;
    else {
      s.close();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.ok(again, 'a slot is free again once a stream closed');
  await again.next(1);
  again.close();
  for (const s of more) s.close();
});
