// The client library against a real node: commands, pipelining, typed errors,
// timeouts and reconnection across a node restart.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connect,
  ConnectionError,
  DistdbError,
  ReplyError,
  TimeoutError,
  type Client,
} from '../../src/index.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { startNode, storagePid, waitGone } from './node-helpers.js';

let dir: ReturnType<typeof tempDir>;
let port: number;
let node: Proc;
let client: Client;

before(async () => {
  dir = tempDir();
  port = await freePort();
  node = await startNode(dir.path, port);
  client = await connect({ port });
});

after(async () => {
  await client?.close();
  await node?.stop();
  dir?.remove();
});

test('get, set, put, del, exists, mget, mset, ping', async () => {
  assert.equal(await client.ping(), 'PONG');
  assert.equal(await client.get('lib:missing'), null);
  assert.equal(await client.set('lib:a', 'alpha'), true);
  assert.equal(await client.put('lib:b', 'beta'), true);
  assert.equal(await client.getString('lib:a'), 'alpha');
  assert.deepEqual(await client.get('lib:b'), Buffer.from('beta'));
  assert.equal(await client.set('lib:a', 'other', { nx: true }), false);
  assert.equal(await client.set('lib:new', 'x', { xx: true }), false);
  assert.equal(await client.exists('lib:a', 'lib:b', 'lib:missing'), 2);
  await client.mset({ 'lib:c': 'gamma', 'lib:d': 'delta' });
  assert.deepEqual(
    (await client.mget(['lib:c', 'lib:missing', 'lib:d'])).map((v) => v?.toString() ?? null),
    ['gamma', null, 'delta'],
  );
  assert.equal(await client.del('lib:a', 'lib:b', 'lib:missing'), 2);
  assert.equal(await client.get('lib:a'), null);
});

test('incr, incrByFloat, append, getDel: counters exact past 2^53, refusals typed', async () => {
  assert.equal(await client.incr('lib:n'), 1n);
  assert.equal(await client.incr('lib:n', -5), -4n);
  assert.equal(await client.incr('lib:n', 9007199254740993n), 9007199254740989n);
  assert.equal(await client.getString('lib:n'), '9007199254740989');
  await client.set('lib:s', 'abc');
  await assert.rejects(client.incr('lib:s'), (e: unknown) => {
    return e instanceof ReplyError && /not an integer/.test(e.message);
  });
  await assert.rejects(client.incrByFloat('lib:s', 1), (e: unknown) => {
    return e instanceof ReplyError && /not a valid float/.test(e.message);
  });
  assert.equal(await client.incrByFloat('lib:f', 10.5), '10.5');
  assert.equal(await client.incrByFloat('lib:f', '0.1'), '10.6');
  assert.equal(await client.incrByFloat('lib:f', -10.6), '0');
  assert.equal(await client.incrByFloat('lib:f', '5.0e3'), '5000');
  assert.equal(await client.append('lib:s', 'def'), 6);
  assert.deepEqual(await client.getDel('lib:s'), Buffer.from('abcdef'));
  assert.equal(await client.getDel('lib:s'), null);
});

test('keys and values are binary-safe', async () => {
  const key = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x20]);
  const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await client.set(key, value);
  assert.deepEqual(await client.get(key), value);
  assert.equal(await client.del(key), 1);
});

test('scan walks every key, page by page', async () => {
  const want = Array.from({ length: 120 }, (_, i) => `scan:${String(i).padStart(3, '0')}`);
  await client.mset(want.map((k) => [k, 'v'] as const));
  const seen = new Set<string>();
  for await (const k of client.scan({ match: 'scan:*', count: 7 })) seen.add(k.toString());
  assert.deepEqual([...seen].sort(), want);
});

test('1,000 pipelined requests on one connection are answered in order', async () => {
  const n = 1000;
  const writes = Array.from({ length: n }, (_, i) => client.set(`pipe:${i}`, `value-${i}`));
  assert.ok((await Promise.all(writes)).every((ok) => ok));
  const values = await Promise.all(Array.from({ length: n }, (_, i) => client.get(`pipe:${i}`)));
  values.forEach((v, i) => assert.equal(v?.toString(), `value-${i}`));
});

test('an error reply rejects with ReplyError carrying its code word; the connection goes on', async () => {
  await assert.rejects(client.command('NOSUCHCOMMAND', 'x'), (err: unknown) => {
    assert.ok(err instanceof ReplyError && err instanceof DistdbError);
    assert.equal(err.code, 'ERR');
    assert.equal(err.command, 'NOSUCHCOMMAND');
    return true;
  });
  await assert.rejects(client.command('GET'), ReplyError);
  assert.equal(await client.ping('still here'), 'still here');
});

test('connecting to a port nobody listens on fails with ConnectionError', async () => {
  const closed = await freePort();
  await assert.rejects(connect({ port: closed }), (err: unknown) => {
    assert.ok(err instanceof ConnectionError);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${closed}`));
    return true;
  });
});

test('a request with no reply in time fails with TimeoutError; later replies still match', async () => {
  const c = await connect({ port, timeoutMs: 10_000 });
  try {
    await c.set('slow', 'before');
    node.kill('SIGSTOP'); // the node stops answering, the connection stays open
    try {
      await assert.rejects(c.raw(['GET', 'slow'], 300), (err: unknown) => {
        assert.ok(err instanceof TimeoutError);
        assert.equal(err.timeoutMs, 300);
        return true;
      });
    } finally {
      node.kill('SIGCONT');
    }
    // The timed-out GET's reply arrives late and must not be taken for this one's.
    await c.set('slow', 'after');
    assert.equal(await c.getString('slow'), 'after');
  } finally {
    await c.close();
  }
});

test('reconnects after the node restarts; requests in flight fail with ConnectionError', async () => {
  const c = await connect({ port, timeoutMs: 20_000, reconnectDelayMs: 20 });
  try {
    await c.set('durable', 'yes');
    const storage = await storagePid(node);
    node.kill('SIGSTOP');
    const inFlight = c.get('durable');
    node.kill('SIGKILL'); // the whole node: its storage engine follows (orphan guard)
    await assert.rejects(inFlight, (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.sent, true);
      return true;
    });
    assert.ok(await waitGone(storage), 'the storage engine outlived its node');
    // Sent while the node is down: waits for the reconnection.
    const waiting = c.getString('durable');
    node = await startNode(dir.path, port);
    assert.equal(await waiting, 'yes');
    assert.equal(c.connected, true);
  } finally {
    await c.close();
  }
  // The suite's shared client reconnected too.
  assert.equal(await client.getString('durable'), 'yes');
});

test('after HELLO 3 the same calls work over RESP3', async () => {
  const c = await connect({ port });
  try {
    const hello = await c.command('HELLO', 3);
    assert.ok(Array.isArray(hello));
    const at = hello.findIndex((v) => String(v) === 'proto');
    assert.equal(hello[at + 1], 3);
    await c.set('resp3', 'yes');
    assert.equal(await c.getString('resp3'), 'yes');
    assert.equal(await c.get('resp3:missing'), null); // RESP3 null, not a null bulk
    assert.deepEqual(
      (await c.mget(['resp3', 'resp3:missing'])).map((v) => v?.toString() ?? null),
      ['yes', null],
    );
  } finally {
    await c.close();
  }
});

test('more than maxPending outstanding requests are refused at once, the rest are answered', async () => {
  const c = await connect({ port, maxPending: 10 });
  try {
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => c.ping()));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 15);
    for (const r of refused) {
      assert.ok(r.status === 'rejected' && r.reason instanceof DistdbError);
      assert.match(String(r.reason.message), /maxPending=10/);
    }
    assert.equal(await c.ping(), 'PONG'); // room again once replies came back
  } finally {
    await c.close();
  }
});

test('a closed client refuses new requests', async () => {
  const c = await connect({ port });
  await c.close();
  await assert.rejects(c.ping(), ConnectionError);
});
