// ReplyParser and the reply encoder, tested against each other and against
// hand-written RESP bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { RespProtocolError } from '../../src/resp/protocol-error.js';
import {
  bulkReplyBytes,
  encodeBulk,
  encodeBulkArray,
  encodeError,
  encodeInteger,
  encodeNull,
  encodeReply,
  encodeSimple,
  longestBulkFitting,
} from '../../src/resp/reply-encoder.js';
import type { RespValue, RespVersion } from '../../src/resp/types.js';
import { assertOnlyProtocolErrors } from '../helpers/resp-fuzz.js';

function parseAll(input: Buffer, chunk = input.length): RespValue[] {
  const p = new ReplyParser();
  const out: RespValue[] = [];
  for (let at = 0; at < input.length; at += chunk) {
    p.push(input.subarray(at, at + chunk));
    for (let v = p.next(); v !== null; v = p.next()) out.push(v);
  }
  return out;
}

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const bulk = (s: string): RespValue => ({ type: 'bulk', value: b(s) });

/** Normalises Buffers to plain Uint8Arrays so deepEqual compares bytes only. */
function plain(v: RespValue): RespValue {
  switch (v.type) {
    case 'bulk':
      return { type: 'bulk', value: v.value === null ? null : new Uint8Array(v.value) };
    case 'array':
      return { type: 'array', value: v.value === null ? null : v.value.map(plain) };
    case 'set':
    case 'push':
      return { type: v.type, value: v.value.map(plain) };
    case 'map':
      return {
        type: 'map',
        value: v.value.map(([k, x]) => [plain(k), plain(x)] as [RespValue, RespValue]),
      };
    default:
      return v;
  }
}

const EVERY_TYPE: Array<[RespValue, string, string]> = [
  // value, RESP3 bytes, RESP2 bytes
  [{ type: 'simple', value: 'OK' }, '+OK\r\n', '+OK\r\n'],
  [{ type: 'error', value: 'ERR bad' }, '-ERR bad\r\n', '-ERR bad\r\n'],
  [{ type: 'integer', value: -42 }, ':-42\r\n', ':-42\r\n'],
  [
    { type: 'integer', value: 2n ** 63n - 1n },
    ':9223372036854775807\r\n',
    ':9223372036854775807\r\n',
  ],
  [bulk('a\r\nb'), '$4\r\na\r\nb\r\n', '$4\r\na\r\nb\r\n'],
  [{ type: 'bulk', value: null }, '_\r\n', '$-1\r\n'],
  [{ type: 'array', value: null }, '_\r\n', '*-1\r\n'],
  [
    { type: 'array', value: [bulk('x'), { type: 'integer', value: 1 }] },
    '*2\r\n$1\r\nx\r\n:1\r\n',
    '*2\r\n$1\r\nx\r\n:1\r\n',
  ],
  [{ type: 'null' }, '_\r\n', '$-1\r\n'],
  [{ type: 'double', value: 1.5 }, ',1.5\r\n', '$3\r\n1.5\r\n'],
  [{ type: 'double', value: -Infinity }, ',-inf\r\n', '$4\r\n-inf\r\n'],
  [{ type: 'double', value: -0 }, ',-0\r\n', '$2\r\n-0\r\n'],
  [{ type: 'boolean', value: true }, '#t\r\n', ':1\r\n'],
  [{ type: 'boolean', value: false }, '#f\r\n', ':0\r\n'],
  [
    { type: 'map', value: [[bulk('k'), { type: 'integer', value: 7 }]] },
    '%1\r\n$1\r\nk\r\n:7\r\n',
    '*2\r\n$1\r\nk\r\n:7\r\n',
  ],
  [{ type: 'set', value: [bulk('a')] }, '~1\r\n$1\r\na\r\n', '*1\r\n$1\r\na\r\n'],
  [{ type: 'verbatim', format: 'txt', value: 'hi' }, '=6\r\ntxt:hi\r\n', '$2\r\nhi\r\n'],
  [{ type: 'push', value: [bulk('m')] }, '>1\r\n$1\r\nm\r\n', '*1\r\n$1\r\nm\r\n'],
];

test('encodeReply writes every type in RESP3 and downgrades it in RESP2 as Redis does', () => {
  for (const [value, resp3, resp2] of EVERY_TYPE) {
    assert.equal(encodeReply(value, 3).toString('latin1'), resp3, `RESP3 ${value.type}`);
    assert.equal(encodeReply(value, 2).toString('latin1'), resp2, `RESP2 ${value.type}`);
  }
});

test('ReplyParser reads every RESP3 type back', () => {
  for (const [value, resp3] of EVERY_TYPE) {
    const expected = value.type === 'bulk' && value.value === null ? { type: 'null' } : value;
    const exp = value.type === 'array' && value.value === null ? { type: 'null' } : expected;
    assert.deepEqual(
      parseAll(Buffer.from(resp3, 'latin1')).map(plain),
      [plain(exp as RespValue)],
      resp3,
    );
  }
});

test('ReplyParser: RESP2 nulls, big numbers, blob errors, attributes, nested aggregates', () => {
  const input = Buffer.from(
    '$-1\r\n*-1\r\n(12345678901234567890\r\n!9\r\nERR oops!\r\n|1\r\n+ttl\r\n:3\r\n:5\r\n' +
      '*2\r\n*1\r\n%0\r\n~0\r\n*0\r\n,nan\r\n',
    'latin1',
  );
  const got = parseAll(input);
  assert.equal(got.length, 8);
  assert.deepEqual(got[0], { type: 'bulk', value: null });
  assert.deepEqual(got[1], { type: 'array', value: null });
  assert.deepEqual(got[2], { type: 'integer', value: 12345678901234567890n });
  assert.deepEqual(got[3], { type: 'error', value: 'ERR oops!' });
  assert.deepEqual(got[4], { type: 'integer', value: 5 }, 'the attribute is dropped');
  assert.deepEqual(got[5], {
    type: 'array',
    value: [
      { type: 'array', value: [{ type: 'map', value: [] }] },
      { type: 'set', value: [] },
    ],
  });
  assert.deepEqual(got[6], { type: 'array', value: [] });
  assert.ok(got[7]?.type === 'double' && Number.isNaN(got[7].value));
});

test('ReplyParser: split at every byte boundary and one byte at a time', () => {
  const input = Buffer.concat(EVERY_TYPE.map(([v]) => encodeReply(v, 3)));
  const whole = parseAll(input).map(plain);
  assert.equal(whole.length, EVERY_TYPE.length);
  for (let cut = 1; cut < input.length; cut++) {
    const p = new ReplyParser();
    const got: RespValue[] = [];
    for (const piece of [input.subarray(0, cut), input.subarray(cut)]) {
      p.push(piece);
      for (let v = p.next(); v !== null; v = p.next()) got.push(plain(v));
    }
    assert.deepEqual(got, whole, `split at ${cut}`);
  }
  assert.deepEqual(parseAll(input, 1).map(plain), whole);
});

test('ReplyParser: large bulk replies followed by more replies in one chunk arrive intact', () => {
  // A chunk that holds a large bulk's header, all of it and the next replies:
  // reserving room for the bulk once cut off the rest (pipelined GETs of
  // 60 KB values failed with "unexpected reply type byte 0x00").
  const value = (i: number): Buffer => Buffer.alloc(40_000 + i, 65 + i);
  const input = Buffer.concat([
    ...[0, 1, 2].map((i) => encodeBulk(value(i), 2)),
    encodeSimple('OK'),
  ]);
  const want = [
    ...[0, 1, 2].map((i) => plain({ type: 'bulk', value: value(i) })),
    plain({ type: 'simple', value: 'OK' }),
  ];
  for (const chunk of [input.length, 65_536, 40_050, 7]) {
    assert.deepEqual(parseAll(input, chunk).map(plain), want, `chunks of ${chunk}`);
  }
});

test('ReplyParser: malformed input is a RespProtocolError', () => {
  for (const bad of [
    '?x\r\n',
    ':12a\r\n',
    '$3\r\nabcd\r\n',
    '#x\r\n',
    '+OK\n',
    ',abc\r\n',
    '%-1\r\n',
    '=3\r\ntxt\r\n',
  ]) {
    assert.throws(() => parseAll(Buffer.from(bad, 'latin1')), RespProtocolError, bad);
  }
  const p = new ReplyParser({ maxBulkLength: 10 });
  p.push(Buffer.from('$11\r\n'));
  assert.throws(() => p.next(), /invalid bulk length/);
});

test('fast helpers produce the same bytes as encodeReply', () => {
  for (const version of [2, 3] as RespVersion[]) {
    assert.deepEqual(encodeBulk(b('xyz'), version), encodeReply(bulk('xyz'), version));
    assert.deepEqual(
      encodeBulk(null, version),
      encodeReply({ type: 'bulk', value: null }, version),
    );
    assert.deepEqual(encodeNull(version), encodeReply({ type: 'null' }, version));
    assert.deepEqual(
      encodeBulkArray([b('a'), null, b('')], version),
      encodeReply(
        { type: 'array', value: [bulk('a'), { type: 'bulk', value: null }, bulk('')] },
        version,
      ),
    );
  }
  for (const n of [0, 5, 63, 64, 1000, -1, 2 ** 40]) {
    assert.deepEqual(encodeInteger(n), encodeReply({ type: 'integer', value: n }, 2));
  }
  assert.equal(encodeError('ERR two\r\nlines').toString(), '-ERR two lines\r\n');
  assert.equal(encodeSimple('OK').toString(), '+OK\r\n');
});

const leaf: fc.Arbitrary<RespValue> = fc.oneof(
  fc
    .string({ unit: 'grapheme-ascii' })
    .filter((s) => !/[\r\n]/.test(s))
    .map((value): RespValue => ({ type: 'simple', value })),
  fc
    .string({ unit: 'grapheme-ascii' })
    .filter((s) => !/[\r\n]/.test(s))
    .map((value): RespValue => ({ type: 'error', value })),
  fc.maxSafeInteger().map((value): RespValue => ({ type: 'integer', value })),
  fc
    .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    .filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
    .map((value): RespValue => ({ type: 'integer', value })),
  fc.uint8Array({ maxLength: 30 }).map((value): RespValue => ({ type: 'bulk', value })),
  fc.constant<RespValue>({ type: 'null' }),
  fc.double().map((value): RespValue => ({ type: 'double', value })),
  fc.boolean().map((value): RespValue => ({ type: 'boolean', value })),
  fc.string().map((value): RespValue => ({ type: 'verbatim', format: 'txt', value })),
);

const value: fc.Arbitrary<RespValue> = fc.letrec<{ v: RespValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }).map((value): RespValue => ({ type: 'array', value })),
    fc.array(tie('v'), { maxLength: 4 }).map((value): RespValue => ({ type: 'set', value })),
    fc.array(tie('v'), { maxLength: 4 }).map((value): RespValue => ({ type: 'push', value })),
    fc
      .array(fc.tuple(tie('v'), tie('v')), { maxLength: 3 })
      .map((value): RespValue => ({ type: 'map', value })),
  ),
})).v;

test('property: encode (RESP3) → parse round-trips any value at any split', () => {
  fc.assert(
    fc.property(
      fc.array(value, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 9 }),
      (values, chunk) => {
        const input = Buffer.concat(values.map((v) => encodeReply(v, 3)));
        assert.deepEqual(parseAll(input, chunk).map(plain), values.map(plain));
      },
    ),
    { numRuns: 500 },
  );
});

test('property: random bytes never throw anything but RespProtocolError', () => {
  assertOnlyProtocolErrors(
    () => new ReplyParser({ maxBulkLength: 256, maxAggregateLength: 256, maxLineLength: 256 }),
  );
});

test('bulkReplyBytes is the length encodeBulk gives, and longestBulkFitting the longest value whose reply fits', () => {
  for (const n of [0, 1, 9, 10, 99, 100, 12_345]) {
    assert.equal(bulkReplyBytes(n), encodeBulk(Buffer.alloc(n), 2).length);
  }
  for (let bytes = -2; bytes < 2_000; bytes++) {
    const n = longestBulkFitting(bytes);
    if (n > 0) assert.ok(bulkReplyBytes(n) <= bytes, `${n} fits ${bytes}`);
    assert.ok(bulkReplyBytes(n + 1) > bytes, `${n + 1} does not fit ${bytes}`);
  }
});
