// Argument parsing of SET options, SCAN options and cursors, glob patterns
// and the SCAN cursor table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSetOptions } from '../../src/coordinator/set-options.js';
import { parseCursor, parseScanOptions } from '../../src/coordinator/scan-options.js';
import { ScanCursors } from '../../src/coordinator/scan-cursors.js';
import { globMatch, literalPrefix } from '../../src/coordinator/glob.js';
import { CommandError } from '../../src/coordinator/command-error.js';

const words = (...w: string[]): Buffer[] => w.map((x) => Buffer.from(x));

test('SET options: NX, XX, GET, KEEPTTL, any case', () => {
  assert.deepEqual(parseSetOptions(words('SET', 'k', 'v'), 3), {
    cond: undefined,
    returnOld: false,
  });
  assert.deepEqual(parseSetOptions(words('SET', 'k', 'v', 'nx'), 3), {
    cond: 'nx',
    returnOld: false,
  });
  assert.deepEqual(parseSetOptions(words('SET', 'k', 'v', 'XX', 'get'), 3), {
    cond: 'xx',
    returnOld: true,
  });
  assert.deepEqual(parseSetOptions(words('SET', 'k', 'v', 'GET', 'NX', 'KEEPTTL'), 3), {
    cond: 'nx',
    returnOld: true,
  });
});

test('SET options: NX with XX and unknown words are syntax errors; expiry is refused plainly', () => {
  assert.throws(
    () => parseSetOptions(words('SET', 'k', 'v', 'NX', 'XX'), 3),
    /^CommandError: ERR syntax error: SET takes NX or XX, not both/,
  );
  // The original system's PUT with an unquoted value of two words: the
  // error names the command as typed, the extra word, and the fix.
  assert.throws(
    () => parseSetOptions(words('put', 'k', 'hello', 'world'), 3),
    (err: unknown) =>
      err instanceof CommandError &&
      err.message ===
        `ERR syntax error: PUT takes a key, a value and the options NX, XX, GET or KEEPTTL, not 'world'; put a value with spaces in quotes: PUT key "a b"`,
  );
  // A long stray argument is shown cut short, unprintable bytes escaped.
  assert.throws(
    () => parseSetOptions(words('SET', 'k', 'v', 'x'.repeat(1000) + '\n'), 3),
    (err: unknown) =>
      err instanceof CommandError && err.message.includes(`not '${'x'.repeat(40)}...'`),
  );
  assert.throws(
    () => parseSetOptions(words('SET', 'k', 'v', 'a\x01'), 3),
    (err: unknown) => err instanceof CommandError && err.message.includes(`not 'a\\x01'`),
  );
  for (const opt of ['EX', 'px', 'EXAT', 'pxat']) {
    assert.throws(
      () => parseSetOptions(words('SET', 'k', 'v', opt, '10'), 3),
      (err: unknown) =>
        err instanceof CommandError &&
        /^ERR SET \w+ \(key expiry\) is not supported yet/.test(err.message),
    );
  }
});

test('SCAN options: MATCH, COUNT, TYPE, defaults, errors', () => {
  assert.deepEqual(parseScanOptions(words('SCAN', '0'), 2), { match: null, count: 10, type: null });
  const o = parseScanOptions(
    words('SCAN', '0', 'match', 'a*', 'COUNT', '100', 'type', 'STRING'),
    2,
  );
  assert.equal(o.match?.toString(), 'a*');
  assert.equal(o.count, 100);
  assert.equal(o.type, 'string');
  assert.throws(() => parseScanOptions(words('SCAN', '0', 'COUNT'), 2), /ERR syntax error/);
  assert.throws(() => parseScanOptions(words('SCAN', '0', 'COUNT', 'x'), 2), /not an integer/);
  assert.throws(() => parseScanOptions(words('SCAN', '0', 'COUNT', '0'), 2), /ERR syntax error/);
  assert.throws(() => parseScanOptions(words('SCAN', '0', 'LIMIT', '5'), 2), /ERR syntax error/);
});

test('SCAN cursor argument: decimal only, leading zeros ignored', () => {
  assert.equal(parseCursor(Buffer.from('0')), '0');
  assert.equal(parseCursor(Buffer.from('000')), '0');
  assert.equal(parseCursor(Buffer.from('0042')), '42');
  for (const bad of ['', '-1', 'abc', '1.5', '123456789012345678901']) {
    assert.throws(() => parseCursor(Buffer.from(bad)), /ERR invalid cursor/, bad);
  }
});

test('SCAN cursors: stable, opaque decimal, never 0, bounded least-recently-used', () => {
  const cursors = new ScanCursors(3);
  const a = cursors.save(Buffer.from('apple'));
  assert.match(a, /^[1-9]\d*$/);
  assert.ok(BigInt(a) < 2n ** 63n, 'fits a signed 64-bit integer, as clients parse it');
  assert.equal(cursors.save(Buffer.from('apple')), a, 'same position, same cursor');
  const b = cursors.save(Buffer.from('banana'));
  assert.notEqual(a, b);
  assert.deepEqual(Buffer.from(cursors.resume(a)!), Buffer.from('apple'));
  cursors.save(Buffer.from('cherry'));
  cursors.save(Buffer.from('damson')); // evicts banana, the least recently used
  assert.equal(cursors.resume(b), null);
  assert.ok(cursors.resume(a));
  assert.equal(cursors.size, 3);
  assert.equal(cursors.resume('12345'), null);
});

test('glob: Redis pattern syntax', () => {
  const m = (p: string, t: string): boolean => globMatch(Buffer.from(p), Buffer.from(t));
  assert.ok(m('*', ''));
  assert.ok(m('user:*', 'user:42'));
  assert.ok(!m('user:*', 'use'));
  assert.ok(m('h?llo', 'hello') && !m('h?llo', 'hllo'));
  assert.ok(m('h[ae]llo', 'hallo') && !m('h[ae]llo', 'hillo'));
  assert.ok(m('h[^e]llo', 'hallo') && !m('h[^e]llo', 'hello'));
  assert.ok(m('h[a-c]llo', 'hbllo') && !m('h[a-c]llo', 'hdllo'));
  assert.ok(m('a\\*b', 'a*b') && !m('a\\*b', 'axb'));
  assert.ok(m('*a*b*c*', 'xxaxxbxxcxx') && !m('*a*b*c*', 'xxaxxcxxbxx'));
  assert.ok(m('k?', 'k1') && !m('k?', 'k10'));
});

test('glob: a pathological pattern finishes quickly (no exponential backtracking)', () => {
  const text = Buffer.alloc(1000, 0x61);
  assert.equal(globMatch(Buffer.from('*a*a*a*a*a*a*a*a*a*a*b'), text), false);
});

test('glob: literal prefix for range scans', () => {
  const p = (s: string): string => Buffer.from(literalPrefix(Buffer.from(s))).toString();
  assert.equal(p('user:*'), 'user:');
  assert.equal(p('a?c'), 'a');
  assert.equal(p('[ab]*'), '');
  assert.equal(p('a\\*b*'), 'a*b');
  assert.equal(p('exact'), 'exact');
});

test('property: every match starts with the literal prefix', () => {
  const alphabet = fc.constantFrom(...'ab*?[]^-\\'.split(''));
  fc.assert(
    fc.property(
      fc.array(alphabet, { maxLength: 8 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 8 }),
      (pat, text) => {
        const pattern = Buffer.from(pat.join(''));
        const t = Buffer.from(text);
        if (globMatch(pattern, t)) {
          const prefix = Buffer.from(literalPrefix(pattern));
          assert.ok(t.subarray(0, prefix.length).equals(prefix), `${pattern} ${t}`);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
