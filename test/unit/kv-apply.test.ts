import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyProposal, type SessionLimits } from '../../src/kv/apply.js';
import { INT64_MAX, INT64_MIN } from '../../src/kv/int64.js';
import { MapKvStore } from '../../src/kv/map-store.js';
import { MapSessionTable } from '../../src/kv/sessions.js';
import type { KvCommand, KvResult, SessionTag } from '../../src/kv/types.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const str = (x: Uint8Array | null | undefined): string | null | undefined =>
  x == null ? x : Buffer.from(x).toString();

/** A state machine with a running index, as a replica applies committed entries. */
function machine(limits?: SessionLimits) {
  const store = new MapKvStore();
  const sessions = new MapSessionTable();
  let index = 0;
  return {
    store,
    sessions,
    apply(command: KvCommand, session?: SessionTag): KvResult {
      return applyProposal(
        store,
        sessions,
        session ? { session, command } : { command },
        ++index,
        limits,
      );
    },
    get: (k: string) => str(store.get(b(k))),
  };
}

function readable(r: KvResult): unknown {
  if (r.op === 'put') return { ...r, old: str(r.old) };
  if (r.op === 'cas') return { ...r, current: str(r.current) };
  if (r.op === 'getdel') return { ...r, old: str(r.old) };
  return r;
}

test('put: plain, nx, xx, returnOld', () => {
  const m = machine();
  assert.deepEqual(m.apply({ op: 'put', key: b('k'), value: b('1') }), {
    op: 'put',
    written: true,
    old: null,
  });
  assert.deepEqual(readable(m.apply({ op: 'put', key: b('k'), value: b('2'), returnOld: true })), {
    op: 'put',
    written: true,
    old: '1',
  });
  // nx on a present key: not written, old still reported when asked.
  assert.deepEqual(
    readable(m.apply({ op: 'put', key: b('k'), value: b('3'), cond: 'nx', returnOld: true })),
    { op: 'put', written: false, old: '2' },
  );
  assert.equal(m.get('k'), '2');
  assert.deepEqual(m.apply({ op: 'put', key: b('j'), value: b('x'), cond: 'xx' }), {
    op: 'put',
    written: false,
    old: null,
  });
  assert.equal(m.get('j'), undefined);
  assert.equal(m.apply({ op: 'put', key: b('j'), value: b('y'), cond: 'nx' }).op, 'put');
  assert.equal(m.get('j'), 'y');
  assert.deepEqual(m.apply({ op: 'put', key: b('j'), value: b('z'), cond: 'xx' }), {
    op: 'put',
    written: true,
    old: null,
  });
  assert.equal(m.get('j'), 'z');
});

test('del counts only keys that existed, once each', () => {
  const m = machine();
  m.apply({
    op: 'mset',
    pairs: [
      [b('a'), b('1')],
      [b('b'), b('2')],
    ],
  });
  assert.deepEqual(m.apply({ op: 'del', keys: [b('a'), b('a'), b('zz'), b('b')] }), {
    op: 'del',
    deleted: 2,
  });
  assert.equal(m.store.size, 0);
  assert.deepEqual(m.apply({ op: 'del', keys: [] }), { op: 'del', deleted: 0 });
});

test('mset writes all pairs, later duplicates win', () => {
  const m = machine();
  assert.deepEqual(
    m.apply({
      op: 'mset',
      pairs: [
        [b('a'), b('1')],
        [b('b'), b('2')],
        [b('a'), b('3')],
      ],
    }),
    { op: 'mset' },
  );
  assert.equal(m.get('a'), '3');
  assert.equal(m.get('b'), '2');
});

test('cas: expected null means absent; current is the value after', () => {
  const m = machine();
  assert.deepEqual(readable(m.apply({ op: 'cas', key: b('k'), expected: b('x'), value: b('1') })), {
    op: 'cas',
    swapped: false,
    current: null,
  });
  assert.deepEqual(readable(m.apply({ op: 'cas', key: b('k'), expected: null, value: b('1') })), {
    op: 'cas',
    swapped: true,
    current: '1',
  });
  assert.deepEqual(readable(m.apply({ op: 'cas', key: b('k'), expected: null, value: b('2') })), {
    op: 'cas',
    swapped: false,
    current: '1',
  });
  assert.deepEqual(
    readable(m.apply({ op: 'cas', key: b('k'), expected: b('11'), value: b('2') })),
    {
      op: 'cas',
      swapped: false,
      current: '1',
    },
  );
  assert.deepEqual(readable(m.apply({ op: 'cas', key: b('k'), expected: b('1'), value: b('2') })), {
    op: 'cas',
    swapped: true,
    current: '2',
  });
  assert.equal(m.get('k'), '2');
});

test('noop changes nothing; keys and values are binary-safe and copied', () => {
  const m = machine();
  const key = Uint8Array.of(0, 255, 0);
  const value = Uint8Array.of(1, 0, 2);
  m.apply({ op: 'put', key, value });
  value[0] = 9; // the store must not alias the caller's buffer
  assert.deepEqual(m.apply({ op: 'noop' }), { op: 'noop' });
  assert.deepEqual([...(m.store.get(Uint8Array.of(0, 255, 0)) ?? [])], [1, 0, 2]);
  assert.equal(m.store.get(Uint8Array.of(0, 255)), undefined);
});

test('session: a retry with the same seq returns the first result without applying again', () => {
  const m = machine();
  const s = { clientId: 'c', seq: 1 };
  const first = m.apply({ op: 'put', key: b('k'), value: b('1'), cond: 'nx' }, s);
  assert.deepEqual(first, { op: 'put', written: true, old: null });
  m.apply({ op: 'del', keys: [b('k')] });
  // Applying again would write '1' again; a retry must not.
  const retry = m.apply({ op: 'put', key: b('k'), value: b('1'), cond: 'nx' }, s);
  assert.deepEqual(retry, first);
  assert.equal(m.get('k'), undefined);
  // The next seq is applied and recorded.
  m.apply({ op: 'put', key: b('k'), value: b('2') }, { clientId: 'c', seq: 2 });
  assert.equal(m.get('k'), '2');
  assert.equal(m.sessions.get('c')?.seq, 2);
  // Sessions are per client.
  m.apply({ op: 'put', key: b('k'), value: b('3') }, { clientId: 'd', seq: 1 });
  assert.equal(m.get('k'), '3');
});

test('session: a seq lower than recorded is not applied and says session-expired', () => {
  const m = machine();
  m.apply({ op: 'put', key: b('k'), value: b('1') }, { clientId: 'c', seq: 1 });
  m.apply({ op: 'put', key: b('k'), value: b('2') }, { clientId: 'c', seq: 2 });
  const r = m.apply({ op: 'put', key: b('k'), value: b('1') }, { clientId: 'c', seq: 1 });
  assert.deepEqual(r, { op: 'session-expired' });
  assert.equal(m.get('k'), '2');
  assert.equal(m.sessions.get('c')?.seq, 2);
});

test('session: an unknown client must start at seq 1', () => {
  const m = machine();
  const r = m.apply({ op: 'put', key: b('k'), value: b('1') }, { clientId: 'c', seq: 5 });
  assert.deepEqual(r, { op: 'session-expired' });
  assert.equal(m.get('k'), undefined);
  assert.equal(m.sessions.size(), 0);
});

test('session expiry by idle indexes is decided from the index alone', () => {
  const m = machine({ maxIdleIndexes: 3, maxSessions: 100 });
  m.apply({ op: 'put', key: b('k'), value: b('1') }, { clientId: 'c', seq: 1 }); // index 1
  m.apply({ op: 'noop' }, { clientId: 'keep', seq: 1 }); // index 2
  m.apply({ op: 'noop' }); // 3
  assert.ok(m.sessions.get('c'), 'still live at index 3');
  m.apply({ op: 'noop' }); // index 4: 1 <= 4 - 3, so 'c' expires
  assert.equal(m.sessions.get('c'), undefined);
  assert.ok(m.sessions.get('keep'));
  // Its retry of seq 1 would now apply again, but seq 2 is refused: it may be a retry.
  assert.deepEqual(m.apply({ op: 'noop' }, { clientId: 'c', seq: 2 }), { op: 'session-expired' });
});

test('a retry refreshes the session (keep-alive)', () => {
  const m = machine({ maxIdleIndexes: 3, maxSessions: 100 });
  m.apply({ op: 'put', key: b('k'), value: b('1') }, { clientId: 'c', seq: 1 }); // 1
  m.apply({ op: 'noop' }); // 2
  m.apply({ op: 'noop' }, { clientId: 'c', seq: 1 }); // 3: retry, refreshes
  m.apply({ op: 'noop' }); // 4
  m.apply({ op: 'noop' }); // 5
  assert.equal(m.sessions.get('c')?.lastIndex, 3);
  m.apply({ op: 'noop' }); // 6: 3 <= 6 - 3
  assert.equal(m.sessions.get('c'), undefined);
});

test('session count is bounded: the least recently used is expired first', () => {
  const m = machine({ maxIdleIndexes: 1_000_000, maxSessions: 3 });
  for (const c of ['a', 'b', 'c']) m.apply({ op: 'noop' }, { clientId: c, seq: 1 });
  m.apply({ op: 'noop' }, { clientId: 'a', seq: 2 }); // 'a' is now the most recent
  m.apply({ op: 'noop' }, { clientId: 'd', seq: 1 }); // evicts 'b'
  assert.deepEqual(
    [...m.sessions.entries()].map(([id]) => id),
    ['c', 'a', 'd'],
  );
  // A refused proposal (unknown client, seq > 1) does not evict anyone.
  m.apply({ op: 'noop' }, { clientId: 'e', seq: 9 });
  assert.equal(m.sessions.size(), 3);
  assert.ok(m.sessions.get('c'));
});

test('two replicas applying the same proposals reach the same state', () => {
  const limits = { maxIdleIndexes: 5, maxSessions: 4 };
  const r1 = machine(limits);
  const r2 = machine(limits);
  for (let i = 0; i < 200; i++) {
    const cmd: KvCommand =
      i % 3 === 0
        ? { op: 'put', key: b(`k${i % 7}`), value: b(`${i}`) }
        : i % 3 === 1
          ? { op: 'cas', key: b(`k${i % 5}`), expected: b(`${i - 3}`), value: b(`${i}`) }
          : { op: 'del', keys: [b(`k${i % 11}`)] };
    const s = { clientId: `c${i % 6}`, seq: Math.floor(i / 6) + 1 };
    assert.deepEqual(r1.apply(cmd, s), r2.apply(cmd, s));
  }
  assert.deepEqual(r1.store.sortedEntries(), r2.store.sortedEntries());
  assert.deepEqual([...r1.sessions.entries()], [...r2.sessions.entries()]);
});

test('index must be a non-negative integer', () => {
  assert.throws(
    () => applyProposal(new MapKvStore(), new MapSessionTable(), { command: { op: 'noop' } }, -1),
    /non-negative safe integer/,
  );
});

test('without Raft (index 0 throughout) sessions still dedupe and the count bound holds', () => {
  const store = new MapKvStore();
  const sessions = new MapSessionTable();
  const limits = { maxIdleIndexes: 3, maxSessions: 2 };
  const put = (v: string, clientId: string, seq: number) =>
    applyProposal(
      store,
      sessions,
      { session: { clientId, seq }, command: { op: 'put', key: b('k'), value: b(v) } },
      0,
      limits,
    );
  put('1', 'a', 1);
  put('2', 'a', 1);
  assert.equal(str(store.get(b('k'))), '1');
  put('3', 'b', 1);
  put('4', 'c', 1);
  assert.equal(sessions.size(), 2);
  assert.equal(sessions.get('a'), undefined);
});

test('incr: an absent key counts as 0; the sum is stored in base 10', () => {
  const m = machine();
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: 1n }), { op: 'incr', value: 1n });
  assert.equal(m.get('n'), '1');
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: -11n }), { op: 'incr', value: -10n });
  assert.equal(m.get('n'), '-10');
  m.apply({ op: 'put', key: b('n'), value: b('41') });
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: 1n }), { op: 'incr', value: 42n });
  assert.deepEqual(m.apply({ op: 'incr', key: b('z'), by: 0n }), { op: 'incr', value: 0n });
  assert.equal(m.get('z'), '0');
});

test('incr: a value that is not a 64-bit base-10 integer is refused and left as it was', () => {
  const m = machine();
  for (const v of ['', 'abc', ' 1', '1 ', '+1', '01', '-0', '1.5', '9223372036854775808']) {
    m.apply({ op: 'put', key: b('n'), value: b(v) });
    assert.deepEqual(
      m.apply({ op: 'incr', key: b('n'), by: 1n }),
      { op: 'refused', reason: 'not-an-integer' },
      JSON.stringify(v),
    );
    assert.equal(m.get('n'), v);
  }
});

test('incr: a sum outside the signed 64-bit range is refused, nothing changed', () => {
  const m = machine();
  const max = INT64_MAX.toString();
  const min = INT64_MIN.toString();
  m.apply({ op: 'put', key: b('n'), value: b(max) });
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: 1n }), {
    op: 'refused',
    reason: 'overflow',
  });
  assert.equal(m.get('n'), max);
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: INT64_MIN }), { op: 'incr', value: -1n });
  m.apply({ op: 'put', key: b('n'), value: b(min) });
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: -1n }), {
    op: 'refused',
    reason: 'overflow',
  });
  assert.equal(m.get('n'), min);
  assert.deepEqual(m.apply({ op: 'incr', key: b('n'), by: INT64_MAX }), { op: 'incr', value: -1n });
  // From an absent key (0), the extremes themselves are fine.
  assert.deepEqual(m.apply({ op: 'incr', key: b('a'), by: INT64_MIN }), {
    op: 'incr',
    value: INT64_MIN,
  });
  assert.equal(m.get('a'), min);
});

test('append: to an absent key, to a value, up to maxLength and no further', () => {
  const m = machine();
  const append = (v: string, maxLength = 10) =>
    m.apply({ op: 'append', key: b('s'), value: b(v), maxLength });
  assert.deepEqual(append('hello'), { op: 'append', length: 5 });
  assert.deepEqual(append(' you'), { op: 'append', length: 9 });
  assert.equal(m.get('s'), 'hello you');
  assert.deepEqual(append('!!'), { op: 'refused', reason: 'too-long' });
  assert.equal(m.get('s'), 'hello you', 'a refused append changes nothing');
  assert.deepEqual(append('!'), { op: 'append', length: 10 });
  assert.deepEqual(append(''), { op: 'append', length: 10 });
  assert.deepEqual(m.apply({ op: 'append', key: b('t'), value: b('abc'), maxLength: 2 }), {
    op: 'refused',
    reason: 'too-long',
  });
  assert.equal(m.get('t'), undefined, 'nor creates the key');
  // An empty append to an absent key creates it empty, as in Redis.
  assert.deepEqual(m.apply({ op: 'append', key: b('e'), value: b(''), maxLength: 0 }), {
    op: 'append',
    length: 0,
  });
  assert.equal(m.get('e'), '');
});

test('append keeps bytes exactly and does not alias the command', () => {
  const m = machine();
  const part = Uint8Array.of(0, 255);
  m.apply({ op: 'append', key: b('k'), value: part, maxLength: 100 });
  m.apply({ op: 'append', key: b('k'), value: part, maxLength: 100 });
  part[0] = 9;
  assert.deepEqual([...(m.store.get(b('k')) ?? [])], [0, 255, 0, 255]);
});

test('getdel returns the value and deletes the key', () => {
  const m = machine();
  m.apply({ op: 'put', key: b('k'), value: b('v') });
  assert.deepEqual(readable(m.apply({ op: 'getdel', key: b('k') })), { op: 'getdel', old: 'v' });
  assert.equal(m.get('k'), undefined);
  assert.deepEqual(m.apply({ op: 'getdel', key: b('k') }), { op: 'getdel', old: null });
});

test('session: an INCR retried with the same seq is applied once, and a refusal is repeated', () => {
  const m = machine();
  const s = { clientId: 'c', seq: 1 };
  const incr = { op: 'incr', key: b('n'), by: 5n } as const;
  assert.deepEqual(m.apply(incr, s), { op: 'incr', value: 5n });
  assert.deepEqual(m.apply(incr, s), { op: 'incr', value: 5n }, 'the retry answers the first sum');
  assert.equal(m.get('n'), '5', 'and adds nothing');
  m.apply({ op: 'put', key: b('n'), value: b('x') });
  const refused = m.apply(incr, { clientId: 'c', seq: 2 });
  assert.deepEqual(refused, { op: 'refused', reason: 'not-an-integer' });
  m.apply({ op: 'put', key: b('n'), value: b('1') });
  // A retry of the refused seq is refused again, even though it would now succeed.
  assert.deepEqual(m.apply(incr, { clientId: 'c', seq: 2 }), refused);
  assert.equal(m.get('n'), '1');
});

/**
 * A model of the string commands in plain terms (a Map of strings, bigint
 * arithmetic, a regular expression for "integer"), against which random
 * sequences on a few keys must give the same results and the same store.
 */
test('random incr / append / getdel / put / del sequences match a model', () => {
  const key = fc.constantFrom('a', 'b', 'c');
  const small = fc.bigInt({ min: -5n, max: 5n });
  const huge = fc.constantFrom(INT64_MAX, INT64_MIN, INT64_MAX - 1n, INT64_MIN + 1n);
  const command: fc.Arbitrary<KvCommand> = fc.oneof(
    fc.record({ op: fc.constant('incr' as const), key: key.map(b), by: fc.oneof(small, huge) }),
    fc.record({
      op: fc.constant('append' as const),
      key: key.map(b),
      value: fc.constantFrom('', '1', '0', '-', 'x', '99999999999').map(b),
      maxLength: fc.nat(24),
    }),
    fc.record({ op: fc.constant('getdel' as const), key: key.map(b) }),
    fc.record({
      op: fc.constant('put' as const),
      key: key.map(b),
      value: fc.constantFrom('0', '-1', '7', '01', 'x', '9223372036854775807').map(b),
    }),
    fc.record({ op: fc.constant('del' as const), keys: fc.array(key.map(b), { maxLength: 2 }) }),
  );
  const asInt = (v: string): bigint | null =>
    /^(0|-?[1-9][0-9]*)$/.test(v) && BigInt(v) >= INT64_MIN && BigInt(v) <= INT64_MAX
      ? BigInt(v)
      : null;
  function model(store: Map<string, string>, c: KvCommand): unknown {
    switch (c.op) {
      case 'incr': {
        const k = str(c.key) as string;
        const old = asInt(store.get(k) ?? '0');
        if (old === null) return { op: 'refused', reason: 'not-an-integer' };
        const sum = old + c.by;
        if (sum < INT64_MIN || sum > INT64_MAX) return { op: 'refused', reason: 'overflow' };
        store.set(k, sum.toString());
        return { op: 'incr', value: sum };
      }
      case 'append': {
        const k = str(c.key) as string;
        const joined = (store.get(k) ?? '') + str(c.value);
        if (joined.length > c.maxLength) return { op: 'refused', reason: 'too-long' };
        store.set(k, joined);
        return { op: 'append', length: joined.length };
      }
      case 'getdel': {
        const k = str(c.key) as string;
        const old = store.get(k) ?? null;
        store.delete(k);
        return { op: 'getdel', old };
      }
      case 'put':
        store.set(str(c.key) as string, str(c.value) as string);
        return { op: 'put', written: true, old: null };
      case 'del':
        return { op: 'del', deleted: c.keys.filter((k) => store.delete(str(k) as string)).length };
      default:
        throw new Error(`not modelled: ${c.op}`);
    }
  }
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
      const m = machine();
      const expected = new Map<string, string>();
      for (const c of commands) assert.deepEqual(readable(m.apply(c)), model(expected, c));
      const got = m.store.sortedEntries().map(([k, v]) => [str(k), str(v)]);
      assert.deepEqual(got, [...expected.entries()].sort());
    }),
    { numRuns: 1000 },
  );
});
