import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyProposal, type SessionLimits } from '../../src/kv/apply.js';
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
