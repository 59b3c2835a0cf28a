import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeProposal,
  decodeResult,
  encodeProposal,
  encodeResult,
  KvCodecError,
  KV_CODEC_VERSION,
  resultBytes,
  UnknownOpError,
  writeResult,
} from '../../src/kv/codec.js';
import { INT64_MAX, INT64_MIN } from '../../src/kv/int64.js';
import type { KvCommand, KvResult, Proposal } from '../../src/kv/types.js';

const bytes = fc.uint8Array({ maxLength: 40 });
const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });

const commandArb: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record(
    {
      op: fc.constant('put' as const),
      key: bytes,
      value: bytes,
      cond: fc.constantFrom('nx' as const, 'xx' as const),
      returnOld: fc.constant(true as const),
    },
    { requiredKeys: ['op', 'key', 'value'] },
  ),
  fc.record({ op: fc.constant('del' as const), keys: fc.array(bytes, { maxLength: 5 }) }),
  fc.record({
    op: fc.constant('mset' as const),
    pairs: fc.array(fc.tuple(bytes, bytes), { maxLength: 5 }),
  }),
  fc.record({
    op: fc.constant('cas' as const),
    key: bytes,
    expected: fc.option(bytes, { nil: null }),
    value: bytes,
  }),
  fc.record({ op: fc.constant('incr' as const), key: bytes, by: int64 }),
  fc.record({
    op: fc.constant('append' as const),
    key: bytes,
    value: bytes,
    maxLength: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ op: fc.constant('getdel' as const), key: bytes }),
  fc.constant({ op: 'noop' as const }),
);

const proposalArb: fc.Arbitrary<Proposal> = fc.record(
  {
    session: fc.record({
      clientId: fc.string({ unit: 'binary', maxLength: 20 }),
      seq: fc.maxSafeNat(),
    }),
    command: commandArb,
  },
  { requiredKeys: ['command'] },
);

const resultArb: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    written: fc.boolean(),
    old: fc.option(bytes, { nil: null }),
  }),
  fc.record({ op: fc.constant('del' as const), deleted: fc.nat({ max: 0xffffffff }) }),
  fc.constant({ op: 'mset' as const }),
  fc.record({
    op: fc.constant('cas' as const),
    swapped: fc.boolean(),
    current: fc.option(bytes, { nil: null }),
  }),
  fc.constant({ op: 'noop' as const }),
  fc.constant({ op: 'session-expired' as const }),
  fc.record({ op: fc.constant('incr' as const), value: int64 }),
  fc.record({ op: fc.constant('append' as const), length: fc.nat({ max: 0xffffffff }) }),
  fc.record({ op: fc.constant('getdel' as const), old: fc.option(bytes, { nil: null }) }),
  fc.record({
    op: fc.constant('refused' as const),
    reason: fc.constantFrom('not-an-integer' as const, 'overflow' as const, 'too-long' as const),
  }),
);

/** Decoded byte fields may be Buffer views; compare bytes as plain arrays. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return { bytes: [...x] };
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  }
  return x;
}

test('random proposals round-trip', () => {
  fc.assert(
    fc.property(proposalArb, (p) => {
      const enc = encodeProposal(p);
      assert.equal(enc[0], KV_CODEC_VERSION);
      assert.deepEqual(plain(decodeProposal(enc)), plain(p));
    }),
    { numRuns: 2000 },
  );
});

test('random results round-trip', () => {
  fc.assert(
    fc.property(resultArb, (r) => {
      assert.deepEqual(plain(decodeResult(encodeResult(r))), plain(r));
    }),
    { numRuns: 1000 },
  );
});

test('a proposal decodes in place from within a larger buffer, reading nothing outside its range', () => {
  fc.assert(
    fc.property(proposalArb, bytes, bytes, (p, before, after) => {
      const enc = encodeProposal(p);
      const buf = Buffer.concat([before, enc, after]);
      const start = before.length;
      const end = start + enc.length;
      assert.deepEqual(plain(decodeProposal(buf, start, end)), plain(p));
      // A range cut short is truncated even though the buffer goes on.
      assert.throws(() => decodeProposal(buf, start, end - 1), KvCodecError);
    }),
    { numRuns: 1000 },
  );
  assert.throws(() => decodeProposal(Buffer.alloc(4), 2, 5), RangeError);
});

test('results written into a larger buffer take exactly resultBytes, at the offset given', () => {
  fc.assert(
    fc.property(resultArb, fc.nat({ max: 16 }), (r, at) => {
      const size = resultBytes(r);
      const buf = Buffer.alloc(at + size + 4, 0xee);
      assert.equal(writeResult(buf, at, r), at + size);
      assert.deepEqual(buf.subarray(at, at + size), Buffer.from(encodeResult(r)));
      assert.ok(buf.subarray(0, at).every((b) => b === 0xee));
      assert.ok(buf.subarray(at + size).every((b) => b === 0xee));
      assert.deepEqual(plain(decodeResult(buf.subarray(at, at + size))), plain(r));
    }),
    { numRuns: 1000 },
  );
});

test('random bytes never throw anything but KvCodecError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      for (const decode of [decodeProposal, decodeResult]) {
        try {
          decode(b);
        } catch (e) {
          assert.ok(e instanceof KvCodecError, `threw ${String(e)}`);
        }
      }
    }),
    { numRuns: 5000 },
  );
});

test('mutated and truncated valid encodings throw only KvCodecError', () => {
  fc.assert(
    fc.property(proposalArb, fc.nat(), fc.nat({ max: 255 }), (p, at, byte) => {
      const enc = encodeProposal(p);
      const mutated = Uint8Array.from(enc);
      mutated[at % mutated.length] = byte;
      for (const b of [mutated, enc.subarray(0, at % enc.length)]) {
        try {
          decodeProposal(b);
        } catch (e) {
          assert.ok(e instanceof KvCodecError, `threw ${String(e)}`);
        }
      }
    }),
    { numRuns: 3000 },
  );
});

test('every strict prefix of an encoding is rejected as truncated', () => {
  const p: Proposal = {
    session: { clientId: 'c1', seq: 7 },
    command: { op: 'cas', key: Buffer.from('k'), expected: null, value: Buffer.from('v') },
  };
  const enc = encodeProposal(p);
  for (let n = 0; n < enc.length; n++) {
    assert.throws(() => decodeProposal(enc.subarray(0, n)), KvCodecError);
  }
  assert.throws(() => decodeProposal(enc.subarray(0, 5)), /truncated/);
});

test('errors name the problem', () => {
  assert.throws(() => decodeProposal(Uint8Array.of(9, 0, 5)), /unsupported version 9/);
  // An op from a newer distdb is refused by name, never skipped or misread.
  assert.throws(
    () => decodeProposal(Uint8Array.of(KV_CODEC_VERSION, 0, 99)),
    /unknown command op 99 \(written by a newer distdb\? upgrade this node\)/,
  );
  // Told apart, with its number, so a leader can refuse a forwarded one (peer-requests.ts).
  assert.throws(
    () => decodeProposal(Uint8Array.of(KV_CODEC_VERSION, 0, 11)),
    (e: unknown) => e instanceof UnknownOpError && e.op === 11,
  );
  assert.throws(
    () => decodeProposal(Uint8Array.of(KV_CODEC_VERSION, 2, 5)),
    (e: unknown) => e instanceof KvCodecError && !(e instanceof UnknownOpError),
  );
  assert.throws(() => decodeResult(Uint8Array.of(KV_CODEC_VERSION, 99)), /unknown result op 99/);
  assert.throws(
    () => decodeResult(Uint8Array.of(KV_CODEC_VERSION, 10, 4)),
    /unknown refusal 4 \(written by a newer distdb/,
  );
  assert.throws(() => decodeResult(Uint8Array.of(KV_CODEC_VERSION, 10, 0)), /unknown refusal 0/);
  assert.throws(
    () => decodeProposal(Uint8Array.of(KV_CODEC_VERSION, 0, 5, 0)),
    /1 unexpected trailing bytes/,
  );
  // A del claiming 2^32-1 keys in a few bytes is refused before allocating.
  assert.throws(
    () => decodeProposal(Uint8Array.of(KV_CODEC_VERSION, 0, 2, 0xff, 0xff, 0xff, 0xff)),
    /cannot fit/,
  );
  assert.throws(() => decodeProposal('x' as unknown as Uint8Array), KvCodecError);
});

test('encode refuses values out of limits with KvCodecError', () => {
  assert.throws(
    () => encodeProposal({ session: { clientId: 'a', seq: -1 }, command: { op: 'noop' } }),
    /non-negative safe integer/,
  );
  assert.throws(
    () =>
      encodeProposal({
        session: { clientId: 'x'.repeat(70_000), seq: 1 },
        command: { op: 'noop' },
      }),
    /limit is 65535/,
  );
  assert.throws(
    () => encodeProposal({ command: { op: 'bogus' } as unknown as KvCommand }),
    KvCodecError,
  );
  const key = Buffer.from('k');
  for (const by of [INT64_MAX + 1n, INT64_MIN - 1n, 1 as unknown as bigint]) {
    assert.throws(() => encodeProposal({ command: { op: 'incr', key, by } }), /signed 64-bit/);
  }
  assert.throws(() => encodeResult({ op: 'incr', value: INT64_MAX + 1n }), /signed 64-bit/);
  for (const maxLength of [-1, 1.5, 2 ** 32]) {
    assert.throws(
      () => encodeProposal({ command: { op: 'append', key, value: key, maxLength } }),
      /append maxLength/,
    );
  }
  assert.throws(
    () => encodeResult({ op: 'refused', reason: 'bogus' as unknown as 'overflow' }),
    /unknown refusal/,
  );
});

test('encoding is compact', () => {
  const put = encodeProposal({
    session: { clientId: 'c', seq: 1 },
    command: { op: 'put', key: Buffer.from('k'), value: Buffer.from('v') },
  });
  // version, flags, u16 + 'c', u64 seq, op, put flags, u32 + 'k', u32 + 'v'
  assert.equal(put.length, 1 + 1 + 3 + 8 + 1 + 1 + 5 + 5);
  assert.equal(encodeResult({ op: 'noop' }).length, 2);
  const incr = encodeProposal({ command: { op: 'incr', key: Buffer.from('k'), by: -1n } });
  // version, flags, op, u32 + 'k', i64
  assert.equal(incr.length, 1 + 1 + 1 + 5 + 8);
  assert.deepEqual([...incr.subarray(8)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(encodeResult({ op: 'incr', value: 1n }).length, 10);
});

test('the op numbers on the wire stay what they are: a log written today must decode tomorrow', () => {
  const key = Buffer.from('k');
  const op = (command: KvCommand): number => encodeProposal({ command })[2] as number;
  assert.equal(op({ op: 'put', key, value: key }), 1);
  assert.equal(op({ op: 'noop' }), 5);
  assert.equal(op({ op: 'incr', key, by: 1n }), 7);
  assert.equal(op({ op: 'append', key, value: key, maxLength: 1 }), 8);
  assert.equal(op({ op: 'getdel', key }), 9);
  const res = (r: KvResult): number[] => [...encodeResult(r)];
  assert.deepEqual(res({ op: 'refused', reason: 'not-an-integer' }), [KV_CODEC_VERSION, 10, 1]);
  assert.deepEqual(res({ op: 'refused', reason: 'overflow' }), [KV_CODEC_VERSION, 10, 2]);
  assert.deepEqual(res({ op: 'refused', reason: 'too-long' }), [KV_CODEC_VERSION, 10, 3]);
  assert.deepEqual(res({ op: 'incr', value: INT64_MIN }), [
    KV_CODEC_VERSION,
    7,
    0x80,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
});
