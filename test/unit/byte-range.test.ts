import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteRange } from '../../src/coordinator/commands/byte-range.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** GETRANGE of `value` as byteRange cuts it. */
function getrange(value: string, start: bigint, end: bigint): string {
  const [from, to] = byteRange(value.length, start, end);
  return value.slice(from, to);
}

test("GETRANGE answers Redis's documented examples", () => {
  const v = 'This is a string';
  assert.equal(getrange(v, 0n, 3n), 'This');
  assert.equal(getrange(v, -3n, -1n), 'ing');
  assert.equal(getrange(v, 0n, -1n), 'This is a string');
  assert.equal(getrange(v, 10n, 100n), 'string');
});

test('GETRANGE ends: clamped to the value, empty when start comes after end', () => {
  const v = 'abcdef';
  assert.equal(getrange(v, -100n, -1n), 'abcdef', 'a start before the value starts at 0');
  assert.equal(getrange(v, -100n, -200n), '', 'both from the end, start after end');
  assert.equal(getrange(v, -1n, -5n), '');
  assert.equal(getrange(v, 4n, 2n), '');
  assert.equal(getrange(v, 6n, 10n), '', 'start past the end');
  assert.equal(getrange(v, 2n, -100n), '', 'an end before the value clamps to 0');
  assert.equal(getrange(v, 0n, -100n), 'a', 'as Redis: the end clamps to byte 0');
  assert.equal(getrange(v, 5n, 5n), 'f');
  assert.equal(getrange('', 0n, -1n), '');
  assert.equal(getrange('', -1n, 0n), '');
  assert.equal(getrange(v, INT64_MIN, INT64_MAX), 'abcdef', 'any 64-bit ends');
  assert.equal(getrange(v, INT64_MAX, INT64_MAX), '');
  assert.equal(getrange(v, INT64_MIN, INT64_MIN), 'a');
});

/**
 * What redis-server 7.0.15 answered to `GETRANGE k start end` with k holding
 * abcdef, for each start (the keys) and each end in ENDS; '.' is "". An
 * empty or absent value answered "" to every pair.
 */
const ENDS = [
  '0',
  '2',
  '5',
  '6',
  '100',
  '-1',
  '-2',
  '-5',
  '-6',
  '-7',
  '-100',
  String(INT64_MIN),
  String(INT64_MAX),
];
const REDIS_ANSWERS: Record<string, string> = {
  '0': 'a abc abcdef abcdef abcdef abcdef abcde ab a a a a abcdef',
  '1': '. bc bcdef bcdef bcdef bcdef bcde b . . . . bcdef',
  '3': '. . def def def def de . . . . . def',
  '5': '. . f f f f . . . . . . f',
  '6': '. . . . . . . . . . . . .',
  '10': '. . . . . . . . . . . . .',
  '-1': '. . f f f f . . . . . . f',
  '-2': '. . ef ef ef ef e . . . . . ef',
  '-5': '. bc bcdef bcdef bcdef bcdef bcde b . . . . bcdef',
  '-6': 'a abc abcdef abcdef abcdef abcdef abcde ab a . . . abcdef',
  '-7': 'a abc abcdef abcdef abcdef abcdef abcde ab a a . . abcdef',
  '-100': 'a abc abcdef abcdef abcdef abcdef abcde ab a a a . abcdef',
  [String(INT64_MIN)]: 'a abc abcdef abcdef abcdef abcdef abcde ab a a a a abcdef',
  [String(INT64_MAX)]: '. . . . . . . . . . . . .',
};

test('GETRANGE answers what redis-server 7.0.15 answered, for every pair of ends tried', () => {
  for (const [start, answers] of Object.entries(REDIS_ANSWERS)) {
    answers.split(' ').forEach((answer, i) => {
      const end = ENDS[i] as string;
      const want = answer === '.' ? '' : answer;
      assert.equal(getrange('abcdef', BigInt(start), BigInt(end)), want, `${start} ${end}`);
      assert.equal(getrange('', BigInt(start), BigInt(end)), '', `empty: ${start} ${end}`);
    });
  }
});
