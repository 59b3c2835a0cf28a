import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestParser, type RequestLimits } from '../../src/resp/request-parser.js';
import { RespProtocolError } from '../../src/resp/protocol-error.js';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { assertOnlyProtocolErrors } from '../helpers/resp-fuzz.js';

/** All commands in `input`, fed in chunks of the given sizes (cycled). */
function parseAll(
  input: Buffer,
  chunkSizes: number[] = [input.length],
  limits?: Partial<RequestLimits>,
): string[][] {
  const p = new RequestParser(limits);
  const out: string[][] = [];
  let at = 0;
  let i = 0;
  while (at < input.length) {
    const size = Math.max(1, chunkSizes[i++ % chunkSizes.length] as number);
    p.push(input.subarray(at, at + size));
    at += size;
    for (let cmd = p.next(); cmd !== null; cmd = p.next())
      out.push(cmd.map((a) => a.toString('latin1')));
  }
  return out;
}

function errorOf(input: string | Buffer, limits?: Partial<RequestLimits>): string {
  const p = new RequestParser(limits);
  p.push(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  try {
    while (p.next() !== null);
  } catch (err) {
    assert.ok(err instanceof RespProtocolError, `not a protocol error: ${String(err)}`);
    return err.message;
  }
  return 'no error';
}

test('multibulk command', () => {
  assert.deepEqual(parseAll(Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n')), [['GET', 'k']]);
});

test('binary-safe arguments: CR, LF, NUL and high bytes inside bulk strings', () => {
  const value = Buffer.from([0, 13, 10, 255, 42, 13]);
  const parsed = new RequestParser();
  parsed.push(encodeCommand(['SET', 'k', value]));
  const cmd = parsed.next();
  assert.ok(cmd);
  assert.deepEqual(cmd[2], value);
  assert.equal(parsed.next(), null);
});

test('empty bulk argument and empty multibulk are handled like Redis', () => {
  assert.deepEqual(parseAll(Buffer.from('*0\r\n*-1\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n')), [
    ['ECHO', ''],
  ]);
});

test('inline commands, CRLF or bare LF, empty lines ignored', () => {
  assert.deepEqual(parseAll(Buffer.from('PUT key value\r\nGET key\n\r\n\n  DEL  a   b \r\n')), [
    ['PUT', 'key', 'value'],
    ['GET', 'key'],
    ['DEL', 'a', 'b'],
  ]);
});

test('inline quoting follows Redis: double quotes with escapes, single quotes', () => {
  const cmds = parseAll(
    Buffer.from(
      `SET "a b" 'it\\'s'\r\nSET k "\\x41\\x7a\\n\\t\\"q\\\\"\r\nSET k ab"c d"\r\n`,
      'latin1',
    ),
  );
  assert.deepEqual(cmds, [
    ['SET', 'a b', "it's"],
    ['SET', 'k', 'Az\n\t"q\\'],
    ['SET', 'k', 'abc d'],
  ]);
});

test('inline: unbalanced quotes and a closing quote not followed by a space are errors', () => {
  assert.equal(errorOf('SET "abc\r\n'), 'Protocol error: unbalanced quotes in request');
  assert.equal(errorOf("SET 'abc\r\n"), 'Protocol error: unbalanced quotes in request');
  assert.equal(errorOf('SET "a"b\r\n'), 'Protocol error: unbalanced quotes in request');
});

test('many commands in one chunk, mixed forms', () => {
  const parts: Buffer[] = [];
  const expected: string[][] = [];
  for (let i = 0; i < 500; i++) {
    if (i % 3 === 0) {
      parts.push(Buffer.from(`SET k${i} v${i}\r\n`));
    } else {
      parts.push(encodeCommand(['SET', `k${i}`, `v${i}`]));
    }
    expected.push(['SET', `k${i}`, `v${i}`]);
  }
  assert.deepEqual(parseAll(Buffer.concat(parts)), expected);
});

test('split at every byte boundary gives the same commands', () => {
  const input = Buffer.concat([
    encodeCommand(['SET', 'key', Buffer.alloc(40, 0x61)]),
    Buffer.from('GET "x y"\r\n'),
    encodeCommand(['MGET', 'a', '', 'ccc']),
  ]);
  const whole = parseAll(input);
  assert.equal(whole.length, 3);
  for (let cut = 1; cut < input.length; cut++) {
    const p = new RequestParser();
    const got: string[][] = [];
    for (const piece of [input.subarray(0, cut), input.subarray(cut)]) {
      p.push(piece);
      for (let c = p.next(); c !== null; c = p.next()) got.push(c.map((a) => a.toString('latin1')));
    }
    assert.deepEqual(got, whole, `split at ${cut}`);
  }
  assert.deepEqual(parseAll(input, [1]), whole, 'one byte at a time');
});

test('a large argument fed in small chunks arrives intact', () => {
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const p = new RequestParser();
  const input = Buffer.concat([encodeCommand(['SET', 'k', big]), encodeCommand(['PING'])]);
  const got: Buffer[][] = [];
  for (let at = 0; at < input.length; at += 1000) {
    p.push(input.subarray(at, at + 1000));
    for (let c = p.next(); c !== null; c = p.next()) got.push(c);
  }
  assert.equal(got.length, 2);
  assert.deepEqual(got[0]?.[2], big);
  assert.equal(got[1]?.[0]?.toString(), 'PING');
});

test('large arguments followed by more commands in one chunk arrive intact', () => {
  // A chunk that holds a large argument's header, all of it and what comes
  // next: reserving room for the argument once cut off the rest.
  const value = (i: number): Buffer => Buffer.alloc(40_000 + i, 65 + i);
  const input = Buffer.concat([
    ...[0, 1, 2].map((i) => encodeCommand(['SET', `k${i}`, value(i)])),
    encodeCommand(['PING']),
  ]);
  for (const chunk of [input.length, 65_536, 40_050, 7]) {
    const got = parseAll(input, [chunk]);
    assert.deepEqual(
      got,
      [...[0, 1, 2].map((i) => ['SET', `k${i}`, value(i).toString('latin1')]), ['PING']],
      `chunks of ${chunk}`,
    );
  }
});

test('any mix of small and large arguments, in any chunks, parses back to the commands sent', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 3 }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 5 }),
      (commands, chunks) => {
        const sent = commands.map((sizes) => sizes.map((n, j) => 'x'.repeat(n) + String(j)));
        const input = Buffer.concat(sent.map((args) => encodeCommand(args)));
        assert.deepEqual(parseAll(input, chunks), sent);
      },
    ),
    { numRuns: 60 },
  );
});

test('limit: inline line length', () => {
  assert.equal(
    errorOf('GET ' + 'a'.repeat(100) + '\r\n', { maxInlineLength: 50 }),
    'Protocol error: too big inline request',
  );
  // An endless line without a newline fails as soon as it exceeds the limit.
  const p = new RequestParser({ maxInlineLength: 50 });
  p.push(Buffer.alloc(40, 0x61));
  assert.equal(p.next(), null);
  p.push(Buffer.alloc(40, 0x61));
  assert.throws(() => p.next(), /too big inline request/);
  assert.throws(() => p.next(), /too big inline request/, 'stays failed');
});

test('limit: bulk length, including a huge declared length', () => {
  assert.equal(
    errorOf('*2\r\n$3\r\nGET\r\n$11\r\n', { maxBulkLength: 10 }),
    'Protocol error: invalid bulk length',
  );
  assert.equal(
    errorOf('*2\r\n$3\r\nGET\r\n$2147483647\r\n'),
    'Protocol error: invalid bulk length',
  );
  assert.equal(errorOf('*1\r\n$99999999999999999999\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(errorOf('*1\r\n$-1\r\n'), 'Protocol error: invalid bulk length');
  assert.equal(errorOf('*1\r\n$abc\r\n'), 'Protocol error: invalid bulk length');
});

test('limit: multibulk element count', () => {
  assert.equal(
    errorOf('*11\r\n', { maxMultibulkLength: 10 }),
    'Protocol error: invalid multibulk length',
  );
  assert.equal(errorOf('*x\r\n'), 'Protocol error: invalid multibulk length');
  assert.equal(errorOf('*2147483648\r\n'), 'Protocol error: invalid multibulk length');
});

test('limit: total request size, detected from declared lengths before the data arrives', () => {
  // Each argument counts its bytes plus ARGUMENT_COST_BYTES (100): this one reaches 445.
  const p = new RequestParser({ maxRequestSize: 400, maxBulkLength: 80 });
  p.push(Buffer.from('*3\r\n$3\r\nSET\r\n$60\r\n' + 'k'.repeat(60) + '\r\n$60\r\n'));
  assert.throws(() => p.next(), /request larger than 400 bytes \(max-request-size\)/);
  assert.deepEqual(
    parseAll(encodeCommand(['SET', 'k', 'v'.repeat(50)]), undefined, { maxRequestSize: 400 })
      .length,
    1,
  );
});

test('limit: many tiny arguments count what holding them costs, not only their bytes', () => {
  const p = new RequestParser({ maxRequestSize: 100_000 });
  // 2,000 empty arguments are 12 kB on the wire but cost ~200 kB to hold.
  p.push(Buffer.from('*2000\r\n' + '$0\r\n\r\n'.repeat(2000)));
  assert.throws(() => p.next(), /request larger than 100000 bytes \(max-request-size\)/);
});

test('malformed multibulk: expected $ and missing CRLF after bulk', () => {
  assert.equal(errorOf('*1\r\n:3\r\n'), "Protocol error: expected '$', got ':'");
  assert.equal(errorOf('*1\r\n$3\r\nGETxx'), 'Protocol error: expected CRLF after bulk argument');
});

test('header line limit: endless *N line', () => {
  assert.equal(
    errorOf('*' + '1'.repeat(100), { maxInlineLength: 50 }),
    'Protocol error: too big multibulk count string',
  );
});

test('property: random bytes never throw anything but RespProtocolError', () => {
  assertOnlyProtocolErrors(
    () => new RequestParser({ maxInlineLength: 128, maxBulkLength: 128, maxRequestSize: 512 }),
  );
});

test('property: RESP-looking random input never throws anything but RespProtocolError', () => {
  const token = fc.constantFrom(
    '*',
    '$',
    '\r\n',
    '\r',
    '\n',
    '-1',
    '0',
    '3',
    '12',
    'abc',
    '"',
    "'",
    '\\x4',
    ' ',
    'GET',
  );
  fc.assert(
    fc.property(
      fc.array(token, { maxLength: 40 }),
      fc.integer({ min: 1, max: 7 }),
      (tokens, size) => {
        try {
          parseAll(Buffer.from(tokens.join(''), 'latin1'), [size], { maxBulkLength: 64 });
        } catch (err) {
          if (!(err instanceof RespProtocolError)) throw err;
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: encodeCommand → RequestParser round-trips any arguments at any split', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 4 }),
      (commands, sizes) => {
        const input = Buffer.concat(commands.map((c) => encodeCommand(c)));
        const expected = commands.map((c) => c.map((a) => Buffer.from(a).toString('latin1')));
        assert.deepEqual(parseAll(input, sizes), expected);
      },
    ),
    { numRuns: 500 },
  );
});
