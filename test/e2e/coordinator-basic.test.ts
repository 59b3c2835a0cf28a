// The coordinator over real TCP against a real storage engine: commands,
// the seed's plain-text lines, pipelining, RESP3, binary-safe data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { RawConnection, startNode, text, type TestNode } from './coordinator-support.js';

let node: TestNode;
let conn: RawConnection;

before(async () => {
  node = await startNode();
  conn = await RawConnection.open(node.port);
});

after(async () => {
  conn?.close();
  await node?.stop();
});

test('PUT, GET, DEL over RESP', async () => {
  assert.equal(text(await conn.command('PUT', 'fruit', 'apple')), 'OK');
  assert.equal(text(await conn.command('GET', 'fruit')), 'apple');
  assert.equal(text(await conn.command('SET', 'veg', 'leek')), 'OK');
  assert.equal(text(await conn.command('DEL', 'fruit', 'veg', 'nothing')), '2');
  assert.equal(text(await conn.command('GET', 'fruit')), '(nil)');
  assert.equal(text(await conn.command('DELETE', 'nothing')), '0');
});

test("the seed's plain-text lines work as typed", async () => {
  const c = await RawConnection.open(node.port);
  try {
    c.write('PUT greeting hello\n');
    c.write('GET greeting\r\nGET "missing key"\r\n');
    const replies = await c.read(3);
    assert.deepEqual(replies.map(text), ['OK', 'hello', '(nil)']);
    assert.equal(c.received.toString('latin1'), '+OK\r\n$5\r\nhello\r\n$-1\r\n');
  } finally {
    c.close();
  }
});

test('SET NX / XX / GET semantics', async () => {
  assert.equal(text(await conn.command('SET', 'nx', 'one', 'NX')), 'OK');
  assert.equal(text(await conn.command('SET', 'nx', 'two', 'NX')), '(nil)');
  assert.equal(text(await conn.command('SET', 'xx-missing', 'v', 'XX')), '(nil)');
  assert.equal(text(await conn.command('SET', 'nx', 'three', 'XX', 'GET')), 'one');
  assert.equal(text(await conn.command('GET', 'nx')), 'three');
  assert.equal(text(await conn.command('EXISTS', 'nx', 'nx', 'xx-missing')), '2');
  assert.match(
    text(await conn.command('SET', 'nx', 'v', 'EX', '10')),
    /^\(error\) ERR SET EX \(key expiry\) is not supported yet/,
  );
  assert.equal(text(await conn.command('GET', 'nx')), 'three', 'a refused SET writes nothing');
});

test('MSET / MGET, DBSIZE, binary-safe keys and values', async () => {
  const binKey = Buffer.from([0, 1, 2, 13, 10, 255]);
  const binValue = Buffer.from([255, 0, 13, 10, 36, 42]);
  assert.equal(text(await conn.command('MSET', 'm1', 'a', binKey, binValue, 'm3', '')), 'OK');
  const got = await conn.command('MGET', 'm1', binKey, 'm3', 'm-none');
  assert.equal(got.type, 'array');
  const values = got.type === 'array' ? got.value! : [];
  assert.equal(text(values[0]), 'a');
  assert.ok(values[1]?.type === 'bulk' && Buffer.from(values[1].value!).equals(binValue));
  assert.equal(text(values[2]), '');
  assert.equal(text(values[3]), '(nil)');
  const size = await conn.command('DBSIZE');
  assert.ok(size.type === 'integer' && Number(size.value) >= 3);
});

test('MGET and EXISTS of many keys (read in bounded batches) keep key order', async () => {
  const n = 600;
  const pairs: string[] = [];
  for (let i = 0; i < n; i++) if (i % 3 !== 0) pairs.push(`many:${i}`, `v${i}`);
  assert.equal(text(await conn.command('MSET', ...pairs)), 'OK');
  const keys = Array.from({ length: n }, (_, i) => `many:${i}`);
  const got = await conn.command('MGET', ...keys);
  assert.ok(got.type === 'array' && got.value?.length === n);
  got.value.forEach((v, i) => assert.equal(text(v), i % 3 === 0 ? '(nil)' : `v${i}`));
  assert.equal(text(await conn.command('EXISTS', ...keys)), String(n - n / 3));
});

test('errors: unknown command, wrong arity, and the connection stays usable', async () => {
  assert.equal(
    text(await conn.command('FLY', 'me', 'to')),
    "(error) ERR unknown command 'FLY', with args beginning with: 'me' 'to' ",
  );
  assert.equal(
    text(await conn.command('GET')),
    "(error) ERR wrong number of arguments for 'get' command",
  );
  assert.equal(
    text(await conn.command('MSET', 'a', 'b', 'c')),
    "(error) ERR wrong number of arguments for 'mset' command",
  );
  assert.equal(
    text(await conn.command('SELECT', '1')),
    '(error) ERR DB index is out of range; distdb has a single database, 0',
  );
  assert.equal(text(await conn.command('SELECT', '0')), 'OK');
  assert.equal(text(await conn.command('PING')), 'PONG');
});

test('1,000 pipelined commands in one write are answered in order', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const parts: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      parts.push(encodeCommand(['SET', `pipe:${i}`, `value-${i}`]));
      parts.push(encodeCommand(['GET', `pipe:${i}`]));
    }
    c.write(Buffer.concat(parts));
    // Each GET waits for the SET before it to be committed, so these are 500
    // disk commits one after another: ~2 s alone, over 10 s on a loaded
    // 2-core machine. The bound only catches a hang.
    const replies = await c.read(1000, 120_000);
    assert.equal(replies.length, 1000);
    for (let i = 0; i < 500; i++) {
      assert.equal(text(replies[2 * i]), 'OK', `reply ${2 * i}`);
      assert.equal(text(replies[2 * i + 1]), `value-${i}`, `reply ${2 * i + 1}`);
    }
  } finally {
    c.close();
  }
});

test('pipelined SETs and GETs of 60 KB values, in one write, are stored and answered intact', async () => {
  // Each value's header, the whole value and the next command arrive in one
  // read on both sides: the parsers once cut off what followed a large
  // argument ("ERR unknown command 'BBBB…'" here, "unexpected reply type
  // byte 0x00" in the client library).
  const value = (i: number): Buffer => Buffer.alloc(60_000, 65 + i);
  const c = await RawConnection.open(node.port);
  try {
    c.write(Buffer.concat([0, 1, 2, 3].map((i) => encodeCommand(['SET', `big:${i}`, value(i)]))));
    const stored = await c.read(4, 60_000);
    assert.deepEqual(stored.map(text), ['OK', 'OK', 'OK', 'OK']);
    c.write(Buffer.concat([0, 1, 2, 3].map((i) => encodeCommand(['GET', `big:${i}`]))));
    const got = await c.read(4, 60_000);
    got.forEach((r, i) => assert.equal(text(r), value(i).toString(), `big:${i}`));
  } finally {
    c.close();
  }
});

test('a pipeline mixing writes, reads, instant replies and errors keeps its order', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const input = Buffer.concat([
      encodeCommand(['SET', 'mix', '1']),
      encodeCommand(['PING']),
      encodeCommand(['GET', 'mix']),
      encodeCommand(['NOPE']),
      encodeCommand(['SET', 'mix', '2']),
      encodeCommand(['ECHO', 'e']),
      encodeCommand(['GET', 'mix']),
    ]);
    // Split awkwardly across writes too.
    c.write(input.subarray(0, 7));
    c.write(input.subarray(7, 50));
    c.write(input.subarray(50));
    const replies = (await c.read(7)).map(text);
    assert.deepEqual(replies, [
      'OK',
      'PONG',
      '1',
      "(error) ERR unknown command 'NOPE', with args beginning with: ",
      'OK',
      'e',
      '2',
    ]);
  } finally {
    c.close();
  }
});

test('SCAN walks every key once, with MATCH and COUNT', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const pairs: string[] = [];
    for (let i = 0; i < 57; i++) pairs.push(`scan:${String(i).padStart(2, '0')}`, 'x');
    assert.equal(text(await c.command('MSET', ...pairs)), 'OK');
    const seen: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const r = await c.command('SCAN', cursor, 'MATCH', 'scan:*', 'COUNT', '10');
      assert.ok(r.type === 'array' && r.value?.length === 2, text(r));
      cursor = text(r.value[0]);
      const keys = r.value[1];
      assert.ok(keys?.type === 'array');
      for (const k of keys.value ?? []) seen.push(text(k));
      calls++;
    } while (cursor !== '0' && calls < 100);
    assert.equal(cursor, '0');
    assert.deepEqual(
      seen,
      pairs.filter((_, i) => i % 2 === 0),
      'each key once, in byte order',
    );
    const r = await c.command('SCAN', '0', 'MATCH', 'scan:1?', 'COUNT', '1000');
    assert.equal(
      text(r),
      '[0, [scan:10, scan:11, scan:12, scan:13, scan:14, scan:15, scan:16, scan:17, scan:18, scan:19]]',
    );
    assert.match(text(await c.command('SCAN', '12345')), /ERR invalid cursor 12345/);
  } finally {
    c.close();
  }
});

test('HELLO 3 switches the connection to RESP3', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const hello = await c.command('HELLO', '3', 'SETNAME', 'tester');
    assert.equal(hello.type, 'map');
    const fields =
      hello.type === 'map' ? new Map(hello.value.map(([k, v]) => [text(k), v])) : new Map();
    assert.deepEqual(fields.get('proto'), { type: 'integer', value: 3 });
    assert.equal(text(fields.get('server')), 'distdb');
    c.clearReceived();
    assert.deepEqual(await c.command('GET', 'no-such-key'), { type: 'null' });
    assert.equal(c.received.toString('latin1'), '_\r\n');
    const cfg = await c.command('CONFIG', 'GET', 'maxclients');
    assert.equal(cfg.type, 'map');
    assert.equal(text(await c.command('CLIENT', 'GETNAME')), 'tester');
    assert.equal(
      text(await c.command('HELLO', '4')),
      '(error) NOPROTO unsupported protocol version 4; distdb speaks RESP 2 and 3',
    );
    const back = await c.command('HELLO', '2');
    assert.equal(back.type, 'array', 'HELLO 2 answers in RESP2: the map becomes a flat array');
  } finally {
    c.close();
  }
});

test('COMMAND COUNT, COMMAND DOCS, CONFIG GET answer like Redis', async () => {
  const count = await conn.command('COMMAND', 'COUNT');
  const all = await conn.command('COMMAND');
  assert.ok(count.type === 'integer' && all.type === 'array');
  assert.equal(Number(count.value), all.value?.length);
  const docs = await conn.command('COMMAND', 'DOCS', 'get');
  assert.ok(docs.type === 'array' && text(docs.value?.[0]) === 'get');
  assert.equal(text(await conn.command('CONFIG', 'GET', 'save')), '[save, ]');
  assert.equal(text(await conn.command('CONFIG', 'GET', 'appendonly')), '[appendonly, yes]');
  assert.equal(text(await conn.command('CONFIG', 'GET', 'no-such-parameter')), '[]');
  const info = await conn.command('INFO', 'server', 'keyspace');
  assert.match(text(info), /# Server\r\n[\s\S]*tcp_port:\d+[\s\S]*# Keyspace\r\ndb0:keys=\d+/);
  assert.equal(
    text(await conn.command('CLIENT', 'SETNAME', 'has space')),
    '(error) ERR Client names cannot contain spaces, newlines or special characters.',
  );
  const id = await conn.command('CLIENT', 'ID');
  assert.ok(id.type === 'integer' && Number(id.value) > 0);
});

test('QUIT replies OK and closes the connection; nothing after it runs', async () => {
  const c = await RawConnection.open(node.port);
  // A write still in flight when QUIT is read, and a write after QUIT that must not run.
  c.write(
    Buffer.concat([
      encodeCommand(['SET', 'before-quit', '1']),
      encodeCommand(['GET', 'before-quit']),
      encodeCommand(['QUIT']),
      encodeCommand(['SET', 'after-quit', '1']),
    ]),
  );
  const replies = await c.read(4);
  assert.deepEqual(replies.map(text), ['OK', '1', 'OK']);
  await c.closedPromise;
  assert.equal(text(await conn.command('EXISTS', 'after-quit')), '0');
});

test('SIGTERM closes the coordinator cleanly: exit status 0, client connections closed', async () => {
  const c = await RawConnection.open(node.port);
  c.write(encodeCommand(['SET', 'last', 'word']));
  const [reply] = await c.read(1);
  assert.equal(text(reply), 'OK');
  node.coordinator.kill('SIGTERM');
  assert.equal(await node.coordinator.exited, 0);
  await c.closedPromise;
});
