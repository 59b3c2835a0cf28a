// Every client limit and kind of bad input: each gets its error (or, for a
// broken byte stream, a protocol error and a closed connection), another
// client on the same node is served meanwhile, and nothing is half-written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import {
  assertServes,
  RawConnection,
  startNode,
  text,
  type TestNode,
} from './coordinator-support.js';

let node: TestNode;
/** The bystander: a client that must keep being served whatever others do. */
let other: RawConnection;

before(async () => {
  node = await startNode([
    '--max-key-size',
    '64',
    '--max-value-size',
    '1kb',
    '--max-bulk-length',
    '4kb',
    '--max-request-size',
    '32kb', // MGET of 300 keys below: each argument counts ~100 bytes more than its length
    '--max-inline-length',
    '2kb',
    '--max-clients',
    '8',
    '--max-output-buffer',
    '256kb',
    '--max-pipeline',
    '8',
  ]);
  other = await RawConnection.open(node.port);
});

after(async () => {
  other?.close();
  await node?.stop();
});

test('oversized key: error naming the limit and setting; nothing written', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const key = 'k'.repeat(65);
    const reply = text(await c.command('SET', key, 'v'));
    assert.equal(
      reply,
      '(error) ERR key is 65 bytes, larger than the 64-byte limit; use a shorter key or raise --max-key-size (DISTDB_MAX_KEY_SIZE)',
    );
    assert.match(text(await c.command('GET', key)), /ERR key is 65 bytes/);
    assert.equal(text(await c.command('SET', 'k'.repeat(64), 'fits')), 'OK');
    // MSET with one oversized key writes none of its pairs.
    assert.match(text(await c.command('MSET', 'ok-key-1', 'a', key, 'b')), /ERR key is 65 bytes/);
    assert.equal(text(await c.command('EXISTS', 'ok-key-1')), '0');
    await assertServes(other, 'after-oversized-key');
  } finally {
    c.close();
  }
});

test('oversized value: error naming the limit; nothing written, not even by MSET or APPEND', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const big = 'v'.repeat(1025);
    assert.equal(
      text(await c.command('SET', 'big', big)),
      '(error) ERR value is 1025 bytes, larger than the 1024-byte limit; store a smaller value or raise --max-value-size (DISTDB_MAX_VALUE_SIZE)',
    );
    assert.equal(text(await c.command('GET', 'big')), '(nil)');
    assert.match(
      text(await c.command('MSET', 'pair-a', 'small', 'pair-b', big)),
      /ERR value is 1025 bytes/,
    );
    assert.equal(text(await c.command('MGET', 'pair-a', 'pair-b')), '[(nil), (nil)]');
    assert.equal(text(await c.command('SET', 'big', 'v'.repeat(1024))), 'OK');
    // APPEND, GETSET and SETNX check the value they are given, and APPEND the value it would make.
    for (const name of ['APPEND', 'GETSET', 'SETNX']) {
      assert.match(text(await c.command(name, 'grow', big)), /ERR value is 1025 bytes/, name);
    }
    assert.equal(text(await c.command('APPEND', 'grow', 'v'.repeat(1000))), '1000');
    assert.equal(
      text(await c.command('APPEND', 'grow', 'v'.repeat(25))),
      '(error) ERR APPEND would make the value longer than the 1024-byte limit; nothing was appended. Keep the value smaller or raise --max-value-size (DISTDB_MAX_VALUE_SIZE)',
    );
    assert.equal(text(await c.command('STRLEN', 'grow')), '1000');
    assert.equal(text(await c.command('APPEND', 'grow', 'v'.repeat(24))), '1024');
    await assertServes(other, 'after-oversized-value');
  } finally {
    c.close();
  }
});

test('huge declared bulk length: protocol error, connection closed, nothing written', async () => {
  const c = await RawConnection.open(node.port);
  c.write('*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$2147483647\r\nabc');
  const [reply] = await c.read(1);
  assert.equal(text(reply), '(error) ERR Protocol error: invalid bulk length');
  await c.closedPromise;
  assert.equal(text(await other.command('EXISTS', 'huge')), '0');
  await assertServes(other, 'after-huge-bulk');
});

test('endless inline line: protocol error and close once it passes the limit', async () => {
  const c = await RawConnection.open(node.port);
  c.write('SET endless ');
  for (let i = 0; i < 4; i++) c.write('x'.repeat(1024));
  const [reply] = await c.read(1);
  assert.equal(text(reply), '(error) ERR Protocol error: too big inline request');
  await c.closedPromise;
  assert.equal(text(await other.command('EXISTS', 'endless')), '0');
  await assertServes(other, 'after-endless-line');
});

test('request larger than max-request-size: protocol error before the rest arrives', async () => {
  const c = await RawConnection.open(node.port);
  const parts = ['*19\r\n$4\r\nMSET\r\n'];
  for (let i = 0; i < 8; i++) parts.push(`$3\r\nbk${i}\r\n$4000\r\n${'z'.repeat(4000)}\r\n`);
  parts.push('$3\r\nbk8\r\n$4000\r\n'); // declares more than 32 kB in all
  c.write(parts.join(''));
  const [reply] = await c.read(1);
  assert.equal(
    text(reply),
    '(error) ERR Protocol error: request larger than 32768 bytes (max-request-size)',
  );
  await c.closedPromise;
  assert.equal(text(await other.command('EXISTS', 'bk0', 'bk1', 'bk2')), '0');
  await assertServes(other, 'after-large-request');
});

test('too many clients: the extra one is told and closed; others are unaffected', async () => {
  // Earlier tests' connections may still be closing on the server side
  // (seconds, on a loaded machine).
  for (let i = 0; i < 1000; i++) {
    if (/connected_clients:1\r\n/.test(text(await other.command('INFO', 'clients')))) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const conns: RawConnection[] = [];
  try {
    // `other` is one; open until the limit (8) is reached.
    for (let i = 0; i < 7; i++) {
      const c = await RawConnection.open(node.port);
      assert.equal(text(await c.command('PING')), 'PONG');
      conns.push(c);
    }
    const extra = await RawConnection.open(node.port);
    const [reply] = await extra.read(1);
    assert.equal(
      text(reply),
      '(error) ERR max number of clients reached (8); retry later or raise --max-clients (DISTDB_MAX_CLIENTS)',
    );
    await extra.closedPromise;
    await assertServes(other, 'at-max-clients');
    const last = conns.pop();
    last?.close();
    await last?.closedPromise;
    // The server notices the close asynchronously; retry (up to 20 s or so).
    let again: RawConnection | null = null;
    for (let i = 0; i < 400 && again === null; i++) {
      const c = await RawConnection.open(node.port);
      c.write(encodeCommand(['PING']));
      const [r] = await c.read(1);
      if (text(r) === 'PONG') again = c;
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(again, 'a slot freed by a closed client can be used again');
    conns.push(again);
  } finally {
    for (const c of conns) c.close();
  }
});

test('a client that never reads its replies is disconnected at the output buffer limit', async () => {
  assert.equal(text(await other.command('SET', 'kb', 'b'.repeat(1000))), 'OK');
  const before = await other.command('INFO', 'stats');
  const count = (v: typeof before): number =>
    Number(/client_output_buffer_disconnects:(\d+)/.exec(text(v))?.[1]);
  const disconnectsBefore = count(before);
  const slow = await RawConnection.open(node.port);
  slow.socket.pause(); // never reads
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => encodeCommand(['GET', 'kb'])));
  // ~1 MB of replies per batch; keep sending until the node gives up on this client.
  let disconnected = false;
  for (let round = 0; round < 200 && !disconnected; round++) {
    if (!slow.socket.destroyed) slow.socket.write(batch);
    await new Promise((res) => setTimeout(res, 20));
    disconnected = count(await other.command('INFO', 'stats')) > disconnectsBefore;
  }
  assert.ok(disconnected, 'the node disconnected the client that does not read');
  slow.socket.resume();
  await slow.closedPromise;
  await assertServes(other, 'after-slow-reader');
});

test('a client cut off at the output limit has nothing more run for it', async () => {
  // Before, the cut-off connection went on running the rest of the pipeline
  // it had read (dropping replies written nowhere made room under the limit),
  // and held the replies of reads in flight: 512 pipelined GETs of a 1 MiB
  // value took the coordinator to 856 MiB with a 1 MiB output limit.
  assert.equal(text(await other.command('SET', 'kb', 'b'.repeat(1000))), 'OK');
  const stat = async (name: string): Promise<number> =>
    Number(new RegExp(`${name}:(\\d+)`).exec(text(await other.command('INFO', 'stats')))?.[1]);
  const disconnectsBefore = await stat('client_output_buffer_disconnects');
  const slow = await RawConnection.open(node.port);
  slow.socket.pause(); // never reads
  // 100,000 GETs of 1 kB (100 MB of replies) in one write: more than the
  // kernel's socket buffers take, so the node's output limit is reached.
  const get = encodeCommand(['GET', 'kb']);
  slow.socket.write(Buffer.concat(Array.from({ length: 100_000 }, () => get)));
  while ((await stat('client_output_buffer_disconnects')) === disconnectsBefore) {
    await new Promise((res) => setTimeout(res, 5));
  }
  // Count what runs from here on (each INFO of ours counts one), until it stops.
  const seen = await stat('total_commands_processed');
  let infos = 0;
  let last = -1;
  for (let same = 0; same < 3;) {
    await new Promise((res) => setTimeout(res, 50));
    const now = (await stat('total_commands_processed')) - ++infos;
    same = now === last ? same + 1 : 0;
    last = now;
  }
  // At most the reads already in flight (--max-pipeline 8) finish.
  assert.ok(last - seen <= 8, `${last - seen} commands ran after the client was cut off`);
  slow.socket.resume();
  await slow.closedPromise;
  await assertServes(other, 'after-cut-off');
});

test('a pipeline far longer than --max-pipeline is answered in full and in order', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(encodeCommand(['SET', `bp:${i}`, String(i)]), encodeCommand(['GET', `bp:${i}`]));
    }
    // Enough reads after them (~600 kB) that the node must pause and resume the socket.
    for (let i = 0; i < 20_000; i++) parts.push(encodeCommand(['GET', `bp:${i % 300}`]));
    c.write(Buffer.concat(parts));
    const replies = (await c.read(20_600, 60_000)).map(text);
    for (let i = 0; i < 300; i++) {
      assert.equal(replies[2 * i], 'OK');
      assert.equal(replies[2 * i + 1], String(i));
    }
    for (let i = 0; i < 20_000; i++) assert.equal(replies[600 + i], String(i % 300));
    await assertServes(other, 'after-long-pipeline');
  } finally {
    c.close();
  }
});

test('pipelined writes far beyond --max-request-size in total are all applied, in order', async () => {
  const c = await RawConnection.open(node.port);
  try {
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      parts.push(encodeCommand(['SET', `bytes:${i % 20}`, `${i}:`.padEnd(1000, 'x')]));
    }
    c.write(Buffer.concat(parts)); // ~200 kB of writes; at most ~32 kB are held at once
    const replies = (await c.read(200, 60_000)).map(text);
    assert.deepEqual(replies, Array(200).fill('OK'));
    for (let k = 0; k < 20; k++) {
      assert.equal(text(await c.command('GET', `bytes:${k}`)).split(':')[0], String(180 + k));
    }
  } finally {
    c.close();
  }
});

test('an MGET whose reply would pass the output limit is refused, not built', async () => {
  assert.equal(text(await other.command('SET', 'kb2', 'c'.repeat(1000))), 'OK');
  const keys = Array.from({ length: 300 }, () => 'kb2'); // ~300 kB > 256 kB
  assert.equal(
    text(await other.command('MGET', ...keys)),
    '(error) ERR the reply would be larger than the 262144-byte output limit; ask for fewer keys at a time or raise --max-output-buffer (DISTDB_MAX_OUTPUT_BUFFER)',
  );
  const fewer = await other.command('MGET', ...keys.slice(0, 200));
  assert.ok(fewer.type === 'array' && fewer.value?.length === 200);
});

test('an MGET whose values fit the output limit but whose reply does not is refused, not sent', async () => {
  assert.equal(text(await other.command('SET', 'kb2', 'c'.repeat(1000))), 'OK');
  // 262 values of 1,000 bytes are 262,000 bytes, under the 262,144-byte limit,
  // but framed ($1000\r\n…\r\n, 1,009 bytes each) the reply is 264,364: built,
  // it would pass the limit and the client would be disconnected, not told.
  const keys = Array.from({ length: 262 }, () => 'kb2');
  assert.equal(
    text(await other.command('MGET', ...keys)),
    '(error) ERR the reply would be larger than the 262144-byte output limit; ask for fewer keys at a time or raise --max-output-buffer (DISTDB_MAX_OUTPUT_BUFFER)',
  );
  await assertServes(other, 'after-framed-mget');
});

test('binary garbage: the node answers or closes, and keeps serving others', async () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  };
  for (let round = 0; round < 20; round++) {
    const c = await RawConnection.open(node.port);
    const junk = Buffer.from(Array.from({ length: 3000 }, random));
    c.write(junk);
    c.write('\r\nPING\r\n');
    // Either replies (errors for junk words) or a protocol error and close.
    await Promise.race([c.closedPromise, c.read(1, 2000).catch(() => undefined)]);
    c.close();
  }
  await assertServes(other, 'after-garbage');
});

test('a client that disconnects mid-request leaves nothing half-written', async () => {
  const cmd = encodeCommand(['MSET', 'half-a', '1', 'half-b', '2']);
  for (const cut of [5, 20, 40, cmd.length - 1]) {
    const c = await RawConnection.open(node.port);
    c.write(cmd.subarray(0, cut));
    await new Promise((res) => setTimeout(res, 20));
    c.close();
    await c.closedPromise;
  }
  assert.equal(text(await other.command('EXISTS', 'half-a', 'half-b')), '0');
  await assertServes(other, 'after-disconnects');
  // The coordinator is still the same process, running.
  assert.equal(node.coordinator.child.exitCode, null);
});
