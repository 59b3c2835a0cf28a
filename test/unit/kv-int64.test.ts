// parseInt64 must accept exactly what Redis's string2ll accepts: canonical
// base-10 signed 64-bit integers. Checked against a regular expression and
// bigint range, an independent statement of the same rule.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatInt64, INT64_MAX, INT64_MIN, parseInt64 } from '../../src/kv/int64.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** The rule, said another way: "0", or an optional '-' and digits without a leading zero, in range. */
function model(s: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

test('the edges of the range and what Redis refuses', () => {
  assert.equal(parseInt64(b('0')), 0n);
  assert.equal(parseInt64(b('-1')), -1n);
  assert.equal(parseInt64(b('9223372036854775807')), INT64_MAX);
  assert.equal(parseInt64(b('-9223372036854775808')), INT64_MIN);
  for (const s of [
    '',
    '-',
    '-0',
    '00',
    '01',
    '+1',
    ' 1',
    '1 ',
    '1.0',
    '1e3',
    '0x10',
    'abc',
    '9223372036854775808',
    '-9223372036854775809',
    '99999999999999999999',
    '123456789012345678901', // 21 bytes: too long whatever its value
    '١', // an Arabic-Indic digit, two bytes in UTF-8: not an ASCII digit
  ]) {
    assert.equal(parseInt64(b(s)), null, JSON.stringify(s));
  }
});

test('parseInt64 agrees with the model on random text and on every 64-bit integer form', () => {
  const digitsAndSigns = fc.string({ unit: fc.constantFrom(...'0123456789-+ .x'), maxLength: 22 });
  fc.assert(
    fc.property(digitsAndSigns, (s) => assert.equal(parseInt64(b(s)), model(s), JSON.stringify(s))),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: INT64_MIN - 10n, max: INT64_MAX + 10n }), (v) => {
      assert.equal(parseInt64(b(v.toString())), model(v.toString()));
      if (v >= INT64_MIN && v <= INT64_MAX) assert.equal(parseInt64(formatInt64(v)), v);
    }),
    { numRuns: 5000 },
  );
});

test('parses a view inside a larger buffer by its own bytes only', () => {
  const buf = Buffer.from('xx-42yy', 'latin1');
  assert.equal(parseInt64(buf.subarray(2, 5)), -42n);
});
