// The LMDB backend and group commit, on a real LMDB environment in a temp dir.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import type { KvResult, Proposal } from '../../src/kv/types.js';
import { WriteConflictError, type WriteOp } from '../../src/storage/backend.js';
import { GroupCommitter, ShuttingDownError } from '../../src/storage/group-commit.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import { tempDir } from '../helpers/processes.js';

const B = (s: string): Buffer => Buffer.from(s);
const put = (k: string, v: string, cond?: 'nx' | 'xx'): Proposal => ({
  command: cond
    ? { op: 'put', key: B(k), value: B(v), cond }
    : { op: 'put', key: B(k), value: B(v) },
});
const apply = (group: number, proposals: Proposal[], appliedIndex = 0): WriteOp => ({
  kind: 'apply',
  group,
  proposals,
  appliedIndex,
});

async function withBackend(fn: (b: LmdbBackend, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('distdb-lmdb-');
  const b = new LmdbBackend(dir.path);
  try {
    await fn(b, dir.path);
  } finally {
    await b.close().catch(() => undefined);
    dir.remove();
  }
}

test('requests in one commit see each other, groups are separate, counts follow', async () => {
  await withBackend(async (b) => {
    const out = await b.commit([
      apply(0, [put('a', '1'), put('b', '2')]),
      apply(0, [put('a', 'x', 'nx'), { command: { op: 'del', keys: [B('b'), B('zz')] } }]),
      apply(7, [put('a', 'g7')]),
    ]);
    assert.deepEqual(out[1], [
      { op: 'put', written: false, old: null },
      { op: 'del', deleted: 1 },
    ]);
    assert.equal((await b.get(0, B('a')))?.toString(), '1');
    assert.equal(await b.get(0, B('b')), null);
    assert.equal((await b.get(7, B('a')))?.toString(), 'g7');
    assert.equal((await b.stats(0)).keys, 1);
    assert.equal((await b.stats(7)).keys, 1);
    const page = await b.scan(0, B(''), 10, 1 << 20);
    assert.deepEqual(
      page.entries.map(([k]) => Buffer.from(k).toString()),
      ['a'],
    );
  });
});

test('the key count follows a key put, deleted and put again within one commit and across two', async () => {
  await withBackend(async (b) => {
    const del = (k: string): Proposal => ({ command: { op: 'del', keys: [B(k)] } });
    // In one commit: a staged write, then a staged delete over it, then a
    // shorter value where the delete stands (the key is new again).
    await b.commit([apply(0, [put('k', 'abc'), del('k'), put('k', 'ab')])]);
    assert.equal((await b.stats(0)).keys, 1);
    // Across commits: the key is in LMDB, deleted in a staged write, put again.
    await b.commit([apply(0, [del('k'), put('k', 'a'), put('j', 'x'), del('j'), del('j')])]);
    assert.equal((await b.stats(0)).keys, 1);
    assert.equal((await b.get(0, B('k')))?.toString(), 'a');
  });
});

test('values and the key count match a model over random puts and deletes, commits in flight and staged over them, with and without other groups beside', async () => {
  // A step: a put of one of four keys (values of varying length, so a
  // staged write is overwritten in place or not), a delete, or the start of
  // a commit (the one before it is awaited first; later steps stage over it).
  const step = fc.oneof(
    fc.record({ put: fc.integer({ min: 0, max: 3 }), value: fc.string({ maxLength: 6 }) }),
    fc.record({ del: fc.integer({ min: 0, max: 3 }) }),
    fc.constant({ commit: true }),
  );
  // The group under test is 5. With neighbours, groups 2 and 9 hold keys
  // too, so the count is of group 5's range, not of the whole data db.
  const G = 5;
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }),
      fc.boolean(),
      async (steps, neighbours) => {
        await withBackend(async (b) => {
          if (neighbours) await b.commit([apply(2, [put('k0', 'a')]), apply(9, [put('k9', 'b')])]);
          const model = new Map<string, string>();
          let inFlight: Promise<void> = Promise.resolve();
          for (const s of steps) {
            if ('commit' in s) {
              await inFlight;
              inFlight = b.commitStaged();
            } else if ('put' in s) {
              b.stage([apply(G, [put(`k${s.put}`, s.value)])]);
              model.set(`k${s.put}`, s.value);
            } else {
              b.stage([apply(G, [{ command: { op: 'del', keys: [B(`k${s.del}`)] } }])]);
              model.delete(`k${s.del}`);
            }
          }
          await inFlight;
          await b.commitStaged();
          assert.equal((await b.stats(G)).keys, model.size, 'key count');
          if (neighbours) assert.equal((await b.stats(9)).keys, 1, "a neighbour's key count");
          for (let k = 0; k < 4; k++) {
            assert.equal(
              (await b.get(G, B(`k${k}`)))?.toString() ?? null,
              model.get(`k${k}`) ?? null,
            );
          }
        });
      },
    ),
    { numRuns: 60 },
  );
});

test('scan is ordered by bytes, stops at the limit or byte budget, and says where to resume', async () => {
  await withBackend(async (b) => {
    await b.commit([
      apply(
        1,
        ['b', 'a', 'c', 'ab', 'd'].map((k) => put(k, k.repeat(10))),
      ),
      apply(2, [put('a0', 'other group')]),
    ]);
    const p1 = await b.scan(1, B('a'), 3, 1 << 20);
    assert.deepEqual(
      p1.entries.map(([k]) => Buffer.from(k).toString()),
      ['a', 'ab', 'b'],
    );
    assert.equal(Buffer.from(p1.next ?? []).toString(), 'c');
    const p2 = await b.scan(1, p1.next ?? B(''), 3, 1 << 20);
    assert.deepEqual(
      p2.entries.map(([k]) => Buffer.from(k).toString()),
      ['c', 'd'],
    );
    assert.equal(p2.next, null);
    const small = await b.scan(1, B(''), 100, 15);
    assert.equal(small.entries.length, 1);
    assert.equal(Buffer.from(small.next ?? []).toString(), 'ab');
  });
});

test('applied index only moves forward, and a refused request does not stop the others', async () => {
  await withBackend(async (b) => {
    await b.commit([apply(0, [put('a', '1'), put('b', '1')], 2)]);
    const out = await b.commit([apply(0, [put('c', '1')], 2), apply(0, [put('d', '1')], 3)]);
    assert.ok(out[0] instanceof WriteConflictError);
    assert.match((out[0] as Error).message, /already applied through 2/);
    assert.equal(await b.get(0, B('c')), null);
    assert.equal((await b.get(0, B('d')))?.toString(), '1');
    assert.equal((await b.stats(0)).appliedIndex, 3);
  });
});

test('sessions, counts, applied index and the raft log survive a reopen', async () => {
  const dir = tempDir('distdb-lmdb-');
  try {
    const b1 = new LmdbBackend(dir.path);
    const cas: Proposal = {
      session: { clientId: 'c1', seq: 1 },
      command: { op: 'cas', key: B('k'), expected: null, value: B('v1') },
    };
    await b1.raftAppend(
      0,
      [1, 2, 3, 4, 5].map((i) => ({ index: i, data: B(`e${i}`) })),
      B('hs'),
    );
    await b1.commit([apply(0, [cas], 5), { kind: 'raft-snapshot', group: 0, snapshot: B('snap') }]);
    await b1.close();
    const b2 = new LmdbBackend(dir.path);
    // A retry of the same session seq is answered from the session table, not re-applied.
    const [retry] = await b2.commit([apply(0, [cas], 6)]);
    assert.deepEqual(retry, [{ op: 'cas', swapped: true, current: B('v1') }]);
    const s = await b2.stats(0);
    assert.equal(s.keys, 1);
    assert.equal(s.appliedIndex, 6);
    const raft = await b2.raftState(0);
    assert.equal(raft.hardState?.toString(), 'hs');
    assert.equal(raft.snapshot?.toString(), 'snap');
    assert.deepEqual([raft.firstIndex, raft.lastIndex], [1, 5]);
    await b2.close();
  } finally {
    dir.remove();
  }
});

test('keys and session records made in reused buffers are copied where they are kept', async () => {
  // An applied put makes its data key, session key and session record in
  // reused buffers (scratch-bytes.ts). Same-length keys in one commit would
  // all read as the last one if a staged write kept the buffer instead of
  // copying it; a session key as long as its record (23-byte clientId, 28
  // bytes each) would be overwritten by the record if both shared one.
  const dir = tempDir('distdb-lmdb-');
  const n = 40;
  const id = (i: number): string => `client-${String(i).padStart(16, '0')}`;
  const cas = (i: number): Proposal => ({
    session: { clientId: id(i), seq: 1 },
    command: { op: 'cas', key: B(`k${i}`.padEnd(4)), expected: null, value: B(`v${i}`.padEnd(4)) },
  });
  const first = (i: number): KvResult => ({
    op: 'cas',
    swapped: true,
    current: B(`v${i}`.padEnd(4)),
  });
  const all = Array.from({ length: n }, (_, i) => i);
  try {
    const b1 = new LmdbBackend(dir.path);
    await b1.raftAppend(
      0,
      all.map((i) => ({ index: i + 1, data: B(`e${i}`) })),
      null,
    );
    const [out] = b1.stage([apply(0, all.map(cas), n)]);
    assert.deepEqual(out, all.map(first));
    for (const i of all)
      assert.equal((await b1.get(0, B(`k${i}`.padEnd(4))))?.toString(), `v${i}`.padEnd(4));
    await b1.commitStaged();
    await b1.close();
    const b2 = new LmdbBackend(dir.path);
    for (const i of all)
      assert.equal((await b2.get(0, B(`k${i}`.padEnd(4))))?.toString(), `v${i}`.padEnd(4));
    // Retries are answered from the stored sessions: re-applied, each cas would now fail.
    const [retries] = await b2.commit([apply(0, all.map(cas), 2 * n)]);
    assert.deepEqual(retries, all.map(first));
    await b2.close();
  } finally {
    dir.remove();
  }
});

test('raft log: conflicting suffix replaced, gaps refused, truncate and compact', async () => {
  await withBackend(async (b) => {
    const entries = (
      from: number,
      to: number,
      tag: string,
    ): Array<{ index: number; data: Buffer }> =>
      Array.from({ length: to - from + 1 }, (_, i) => ({
        index: from + i,
        data: B(`${tag}${from + i}`),
      }));
    const read = async (): Promise<string[]> =>
      (await b.raftEntries(3, 0, 100, 1 << 20)).map(
        (e) => `${e.index}:${Buffer.from(e.data).toString()}`,
      );
    await b.raftAppend(3, entries(1, 5, 'a'), null);
    const both = await Promise.allSettled([
      b.raftAppend(3, entries(4, 4, 'b'), B('h2')),
      b.raftAppend(3, entries(7, 7, 'c'), null),
    ]);
    assert.equal(both[0].status, 'fulfilled');
    assert.ok(
      both[1].status === 'rejected' &&
        both[1].reason instanceof WriteConflictError &&
        /gap/.test(both[1].reason.message),
    );
    assert.deepEqual(await read(), ['1:a1', '2:a2', '3:a3', '4:b4']);
    await b.raftCompact(3, 2);
    assert.deepEqual(await read(), ['3:a3', '4:b4']);
    await b.raftTruncate(3, 4);
    assert.deepEqual(await read(), ['3:a3']);
    await assert.rejects(b.raftAppend(3, entries(1, 1, 'x'), null), (err: Error) => {
      return err instanceof WriteConflictError && /compacted/.test(err.message);
    });
    // Compacting past the end leaves an empty log that accepts the next index.
    await b.raftCompact(3, 10);
    assert.deepEqual(await read(), []);
    await b.raftAppend(3, entries(11, 12, 'y'), null);
    assert.deepEqual(await read(), ['11:y11', '12:y12']);
    assert.equal((await b.raftEntries(3, 11, 13, 1)).length, 1, 'maxBytes still returns one entry');
  });
});

test('a raft snapshot read range by range never mixes two stored snapshots', async () => {
  await withBackend(async (b) => {
    // Pieces of 11 bytes: old-piece-0 old-piece-1 old-piece-2.
    const pieces = (tag: string): Buffer[] => [0, 1, 2].map((i) => B(`${tag}-piece-${i}`));
    await b.commit([
      { kind: 'raft-snapshot-pieces', group: 2, head: B('head@10'), pieces: pieces('old') },
    ]);
    const state = await b.raftState(2);
    const head = state.snapshot;
    assert.equal(head?.toString(), 'head@10');
    assert.equal(state.snapshotImageBytes, 33);
    assert.equal((await b.raftSnapshotImage(2, head!, 0, 100)).toString(), 'old-piece-0');
    assert.equal((await b.raftSnapshotImage(2, head!, 4, 5)).toString(), 'piece', 'within a piece');
    // A newer snapshot is stored between two pieces of the read.
    await b.commit([
      { kind: 'raft-snapshot-pieces', group: 2, head: B('head@20'), pieces: pieces('new') },
    ]);
    await assert.rejects(
      b.raftSnapshotImage(2, head!, 11, 100),
      (err: unknown) =>
        err instanceof WriteConflictError &&
        /stored raft snapshot changed while it was read \(at byte 11 of its image\); read it again/.test(
          err.message,
        ),
    );
    const again = (await b.raftState(2)).snapshot!;
    assert.equal((await b.raftSnapshotImage(2, again, 11, 100)).toString(), 'new-piece-1');
    assert.equal((await b.raftSnapshotImage(2, again, 30, 100)).toString(), 'e-2');
    assert.equal((await b.raftSnapshotImage(2, again, 33, 100)).length, 0, 'past the end');
    // A plain save (head only) drops the pieces: a read of the older head is refused too.
    await b.commit([{ kind: 'raft-snapshot', group: 2, snapshot: B('head@30') }]);
    await assert.rejects(b.raftSnapshotImage(2, again, 0, 100), WriteConflictError);
    assert.equal((await b.raftSnapshotImage(2, B('head@30'), 0, 100)).length, 0);
  });
});

test('group commit: a burst of concurrent writes takes far fewer commits than writes', async () => {
  await withBackend(async (b) => {
    const gc = new GroupCommitter(b);
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => gc.submit(apply(0, [put(`k${i}`, `v${i}`)]))),
    );
    assert.equal(results.length, n);
    assert.equal(gc.counters.committedWrites, n);
    assert.ok(
      gc.counters.commits <= n / 10,
      `expected batching, got ${gc.counters.commits} commits`,
    );
    assert.equal((await b.stats(0)).keys, n);
    await gc.close();
    await assert.rejects(gc.submit(apply(0, [put('late', '1')])), ShuttingDownError);
  });
});

test('group commit: a replica apply is answered once staged, seen at once, and durable after the commit', async () => {
  await withBackend(async (b, dir) => {
    const gc = new GroupCommitter(b);
    await b.raftAppend(0, [{ index: 1, data: B('e1') }], null);
    // A durable write starts a commit; what comes next is staged on top of it.
    const appended = gc.submit({ kind: 'raft-snapshot', group: 0, snapshot: B('s0') });
    await new Promise((resolve) => setImmediate(resolve));
    await gc.submit(apply(0, [put('a', '1')], 1));
    assert.equal((await b.get(0, B('a')))?.toString(), '1', 'an answered apply is visible');
    // A conditional write staged later sees the answered one, committed or not.
    const [r] = (await gc.submit(apply(0, [put('a', '2', 'xx')], 2))) as KvResult[];
    assert.deepEqual(r, { op: 'put', written: true, old: null });
    gc.commitNow();
    assert.equal((await b.stats(0)).appliedIndex, 2, 'range reads wait for the commit');
    await appended;
    await gc.close();
    await b.close();
    const again = new LmdbBackend(dir);
    try {
      assert.equal((await again.get(0, B('a')))?.toString(), '2');
      assert.equal((await again.raftState(0)).lastIndex, 1);
    } finally {
      await again.close();
    }
  });
});

test('group commit: answered applies wait for the next durable write and share its commit', async () => {
  await withBackend(async (b) => {
    const gc = new GroupCommitter(b, { applyCommitDelayMs: 60_000 });
    await gc.submit(apply(0, [put('a', '1')], 1));
    await gc.submit(apply(0, [put('b', '1')], 2));
    assert.equal(gc.counters.commits, 0, 'applies alone start no commit');
    await gc.submit({ kind: 'raft-snapshot', group: 0, snapshot: B('s0') });
    assert.deepEqual(gc.counters, { commits: 1, committedWrites: 3, largestCommit: 3 });
    await gc.submit(apply(0, [put('c', '1')], 3));
    // A reader of the committed state waits for the staged apply to commit,
    // and sees nothing submitted after it.
    const reading = gc.atCommittedState(() => b.openImageReader(0));
    const later = gc.submit(apply(0, [put('d', '1')], 4));
    const reader = await reading;
    assert.equal(reader.appliedIndex, 3);
    reader.close();
    await later;
    assert.equal(gc.counters.commits, 2);
    await gc.close();
  });
});

test('group commit: answered applies commit at once when their staged bytes reach the bound', async () => {
  await withBackend(async (b) => {
    // The delay never fires in this test: only the byte bound can start a commit.
    const gc = new GroupCommitter(b, { applyCommitDelayMs: 60_000, maxStagedBytes: 10_000 });
    const value = 'v'.repeat(3_000);
    await gc.submit(apply(0, [put('a', value)], 1));
    const one = b.stagedBytes();
    assert.ok(one >= 3_000, `${one} bytes staged for a 3,000-byte value`);
    await gc.submit(apply(0, [put('a', value)], 2));
    assert.equal(b.stagedBytes(), one, 'an overwrite replaces the bytes it held, not adds to them');
    await gc.submit(apply(0, [put('b', value)], 3));
    assert.ok(b.stagedBytes() >= 6_000 && b.stagedBytes() < 10_000, `${b.stagedBytes()} bytes`);
    assert.equal(gc.counters.commits, 0, 'under the bound, applies wait for company');
    await gc.submit(apply(0, [put('c', value), put('d', value)], 5));
    assert.equal(b.stagedBytes(), 0, 'over the bound, the staged applies go to a commit at once');
    await b.committed();
    assert.equal(gc.counters.commits, 1);
    assert.equal((await b.stats(0)).appliedIndex, 5);
    await gc.close();
  });
});

test('group commit: a commit that fails after applies were answered reports them lost', async () => {
  await withBackend(async (b) => {
    let lost: Error | null = null;
    const gc = new GroupCommitter(b, {
      applyCommitDelayMs: 60_000,
      onLost: (err) => {
        lost = err;
      },
    });
    await gc.submit(apply(0, [put('a', '1')], 1)); // answered, staged, not committed
    await b.close(); // the next commit cannot be written
    await assert.rejects(
      gc.submit({ kind: 'raft-snapshot', group: 0, snapshot: B('s0') }),
      /closed/,
    );
    assert.match(String(lost), /closed/, 'the answered apply is reported lost');
  });
});

test('group commit: a failed commit leaves no timer behind to keep the engine alive', async () => {
  // In a process of its own: other tests' timers would hide a leftover one here.
  const dir = tempDir('distdb-lmdb-');
  const module = (path: string): string => JSON.stringify(new URL(path, import.meta.url).href);
  const script = `
    const { LmdbBackend } = await import(${module('../../src/storage/lmdb-backend.js')});
    const { GroupCommitter } = await import(${module('../../src/storage/group-commit.js')});
    const b = new LmdbBackend(process.argv[1]);
    // An hour's delay: a timer left armed would keep this process alive that long.
    const gc = new GroupCommitter(b, { applyCommitDelayMs: 3_600_000 });
    const put = { command: { op: 'put', key: Buffer.from('a'), value: Buffer.from('1') } };
    await gc.submit({ kind: 'apply', group: 0, proposals: [put], appliedIndex: 1 });
    await b.close(); // the next commit fails and drops what is staged
    await gc.submit({ kind: 'raft-snapshot', group: 0, snapshot: Buffer.from('s0') }).catch(() => {});
    console.log('dropped');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir.path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // Far longer than the scenario takes (well under a second), far shorter than the delay.
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(out.trim(), 'dropped');
    assert.equal(signal, null, 'the process did not exit by itself: a timer keeps it alive');
    assert.equal(code, 0);
  } finally {
    clearTimeout(killer);
    dir.remove();
  }
});
