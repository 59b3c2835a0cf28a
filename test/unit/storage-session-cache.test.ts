// The LMDB backend's in-memory session cache (src/storage/lmdb-sessions.ts),
// on a real LMDB environment: it must always say what the committed and
// staged records say, across a failed commit, a failed stage and a reopen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvCommand, Proposal } from '../../src/kv/types.js';
import { STORAGE_MAX_KEY_BYTES } from '../../src/storage/api.js';
import type { WriteOp } from '../../src/storage/backend.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import { CACHED_RESULT_MAX_BYTES } from '../../src/storage/lmdb-sessions.js';
import { tempDir } from '../helpers/processes.js';

const B = (s: string): Buffer => Buffer.from(s);
const putCmd = (k: string, v: string): KvCommand => ({ op: 'put', key: B(k), value: B(v) });
const inSession = (clientId: string, seq: number, command: KvCommand): Proposal => ({
  session: { clientId, seq },
  command,
});
const apply = (proposals: Proposal[], appliedIndex: number): WriteOp => ({
  kind: 'apply',
  group: 0,
  proposals,
  appliedIndex,
});
/** A session LMDB cannot store (its key is over the key limit): the commit carrying it fails at flush. */
const unstorable = (): Proposal =>
  inSession('x'.repeat(STORAGE_MAX_KEY_BYTES + 10), 1, putCmd('never', 'written'));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('distdb-sessions-');
  try {
    await fn(dir.path);
  } finally {
    dir.remove();
  }
}

test('a failed commit drops the session records it carried, in memory too', async () => {
  await withDir(async (dir) => {
    const b = new LmdbBackend(dir);
    try {
      await b.commit([apply([inSession('c1', 1, putCmd('a', '1'))], 1)]);
      // c1's seq 2 and a new session c2 are staged with a record LMDB refuses: the commit fails.
      b.stage([
        apply(
          [
            inSession('c1', 2, putCmd('b', '2')),
            inSession('c2', 1, putCmd('c', '3')),
            unstorable(),
          ],
          4,
        ),
      ]);
      await assert.rejects(b.commitStaged(), /over LMDB's/);
      assert.equal(await b.get(0, B('b')), null);
      // Nothing of it happened: c1's seq 2 is new (applied, not answered as a retry),
      // c2 has no session, so its seq 2 is refused as expired.
      const [out] = await b.commit([
        apply([inSession('c1', 2, putCmd('b', 'again')), inSession('c2', 2, putCmd('c', '4'))], 3),
      ]);
      assert.deepEqual(out, [{ op: 'put', written: true, old: null }, { op: 'session-expired' }]);
      assert.equal((await b.get(0, B('b')))?.toString(), 'again');
      assert.equal(await b.get(0, B('c')), null);
    } finally {
      await b.close();
    }
  });
});

test('a failed stage drops the session records staged before it, in memory too', async () => {
  await withDir(async (dir) => {
    const b = new LmdbBackend(dir);
    try {
      await b.commit([apply([inSession('c1', 1, putCmd('a', '1'))], 1)]);
      b.stage([apply([inSession('c1', 2, putCmd('b', '2'))], 2)]);
      // An index beyond 2^53 is a caller's bug, not a conflict: staging throws and drops all that is staged.
      assert.throws(
        () => b.stage([apply([{ command: putCmd('c', '3') }], Number.MAX_SAFE_INTEGER + 2)]),
        /safe integer/,
      );
      const [out] = await b.commit([apply([inSession('c1', 2, putCmd('b', 'again'))], 2)]);
      assert.deepEqual(out, [{ op: 'put', written: true, old: null }]);
      assert.equal((await b.get(0, B('b')))?.toString(), 'again');
    } finally {
      await b.close();
    }
  });
});

test('sessions answer retries and refuse stale seqs the same before and after a reopen', async () => {
  await withDir(async (dir) => {
    const big = 'v'.repeat(CACHED_RESULT_MAX_BYTES + 1); // a result too large to be held in memory
    const value = B('small');
    const cas = (clientId: string, v: Buffer): Proposal =>
      inSession(clientId, 1, { op: 'cas', key: B(`k-${clientId}`), expected: null, value: v });
    const b1 = new LmdbBackend(dir);
    await b1.commit([
      apply([cas('small', value), cas('big', B(big)), inSession('p', 1, putCmd('p', '1'))], 3),
      apply([inSession('p', 2, putCmd('p', '2'))], 4),
    ]);
    // The proposal's bytes are a view into a request frame that is reused: the session must not see that.
    value.fill(0);
    const retries = [
      cas('small', B('ignored')),
      cas('big', B('ignored')),
      inSession('p', 2, putCmd('p', 'retry')),
      inSession('p', 1, putCmd('p', 'stale')),
    ];
    const expected = [
      { op: 'cas', swapped: true, current: B('small') },
      { op: 'cas', swapped: true, current: B(big) },
      { op: 'put', written: true, old: null },
      { op: 'session-expired' },
    ];
    const [before] = await b1.commit([apply(retries, 8)]);
    assert.deepEqual(before, expected);
    await b1.close();
    const b2 = new LmdbBackend(dir);
    try {
      const [after] = await b2.commit([apply(retries, 12)]);
      assert.deepEqual(after, expected);
      assert.equal((await b2.get(0, B('p')))?.toString(), '2', 'retries were not applied again');
      // And the next seq of a session is applied as usual.
      const [next] = await b2.commit([apply([inSession('p', 3, putCmd('p', '3'))], 13)]);
      assert.deepEqual(next, [{ op: 'put', written: true, old: null }]);
      assert.equal((await b2.get(0, B('p')))?.toString(), '3');
    } finally {
      await b2.close();
    }
  });
});

test('staged writes dropped while a commit is in flight: nothing is staged until it lands, then the state includes it', async () => {
  await withDir(async (dir) => {
    const b = new LmdbBackend(dir);
    try {
      b.stage([apply([inSession('c1', 1, putCmd('a', '1'))], 1)]);
      const landing = b.commitStaged(); // in flight: not on disk yet
      assert.throws(
        () => b.stage([apply([{ command: putCmd('c', '3') }], Number.MAX_SAFE_INTEGER + 2)]),
        /safe integer/,
      );
      // The in-memory state cannot be rebuilt from disk yet: it would miss index 1 and c1's session.
      assert.throws(
        () => b.stage([apply([inSession('c1', 1, putCmd('a', 'twice'))], 1)]),
        /commit in flight/,
      );
      await landing;
      const [again] = await b.commit([apply([inSession('c1', 1, putCmd('a', 'twice'))], 1)]);
      assert.match(String(again), /already applied through 1/);
      const [retry] = await b.commit([apply([inSession('c1', 1, putCmd('a', 'twice'))], 2)]);
      assert.deepEqual(retry, [{ op: 'put', written: true, old: null }]);
      assert.equal((await b.get(0, B('a')))?.toString(), '1', 'the retry was not applied again');
      assert.equal((await b.stats(0)).appliedIndex, 2);
    } finally {
      await b.close();
    }
  });
});

test('INCR, APPEND and GETDEL in sessions: a retry answers the first result, before and after a reopen, and applies nothing', async () => {
  await withDir(async (dir) => {
    const proposals = [
      inSession('c0', 1, { op: 'incr', key: B('n'), by: 5n }),
      inSession('c1', 1, { op: 'append', key: B('s'), value: B('ab'), maxLength: 10 }),
      inSession('c2', 1, { op: 'getdel', key: B('g') }),
      // After the append in the same commit: 'ab' is not an integer.
      inSession('c3', 1, { op: 'incr', key: B('s'), by: 1n }),
    ];
    const expected = [
      { op: 'incr', value: 5n },
      { op: 'append', length: 2 },
      { op: 'getdel', old: B('gone') },
      { op: 'refused', reason: 'not-an-integer' },
    ];
    const b1 = new LmdbBackend(dir);
    await b1.commit([apply([{ command: putCmd('g', 'gone') }], 1)]);
    const [first] = await b1.commit([apply(proposals, 5)]);
    assert.deepEqual(first, expected);
    const [retried] = await b1.commit([apply(proposals, 9)]);
    assert.deepEqual(retried, expected);
    await b1.close();
    const b2 = new LmdbBackend(dir);
    try {
      const [after] = await b2.commit([apply(proposals, 13)]);
      assert.deepEqual(after, expected);
      assert.equal((await b2.get(0, B('n')))?.toString(), '5');
      assert.equal((await b2.get(0, B('s')))?.toString(), 'ab');
      assert.equal(await b2.get(0, B('g')), null);
    } finally {
      await b2.close();
    }
  });
});
