// State images in chunks on a real LMDB environment: an export is one read
// snapshot however many commits happen between its chunks; an install is
// staged piece by piece and swapped in by one commit; a Raft snapshot is
// written by the engine from its own state and read back in pieces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Proposal } from '../../src/kv/types.js';
import { WriteConflictError, type WriteOp } from '../../src/storage/backend.js';
import { PayloadError } from '../../src/storage/frame-codec.js';
import { GroupCommitter } from '../../src/storage/group-commit.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import { ImageParser, imageHeader } from '../../src/storage/state-image.js';
import { tempDir } from '../helpers/processes.js';

const B = (s: string): Buffer => Buffer.from(s);
const put = (k: string, v: string): Proposal => ({
  command: { op: 'put', key: B(k), value: B(v) },
});
const del = (k: string): Proposal => ({ command: { op: 'del', keys: [B(k)] } });
const apply = (group: number, proposals: Proposal[], appliedIndex = 0): WriteOp => ({
  kind: 'apply',
  group,
  proposals,
  appliedIndex,
});
const cas: Proposal = {
  session: { clientId: 'client-1', seq: 1 },
  command: { op: 'cas', key: B('k1'), expected: null, value: B('v1') },
};

async function withBackends(n: number, fn: (...b: LmdbBackend[]) => Promise<void>): Promise<void> {
  const dirs = Array.from({ length: n }, () => tempDir('distdb-image-'));
  const backends = dirs.map((d) => new LmdbBackend(d.path));
  try {
    await fn(...backends);
  } finally {
    for (const b of backends) await b.close().catch(() => undefined);
    for (const d of dirs) d.remove();
  }
}

/** Every piece of an export at `maxBytes` per chunk. */
function exportAll(b: LmdbBackend, group: number, maxBytes: number): Buffer[] {
  const reader = b.openImageReader(group);
  const pieces: Buffer[] = [];
  for (let last = false; !last;) {
    const next = reader.next(maxBytes);
    pieces.push(Buffer.from(next.chunk));
    last = next.last;
  }
  return pieces;
}

function parse(pieces: Buffer[]): {
  index: number;
  pairs: Map<string, string>;
  sessions: string[];
} {
  const pairs = new Map<string, string>();
  const sessions: string[] = [];
  const p = new ImageParser({
    pair: (k, v) => pairs.set(k.toString(), v.toString()),
    session: (id) => sessions.push(id),
  });
  for (const piece of pieces) p.push(piece);
  p.end();
  return { index: p.appliedIndex, pairs, sessions };
}

/** Stages `pieces`, then installs them in a commit of its own (as the group commit does); the install's outcome. */
async function install(b: LmdbBackend, group: number, pieces: Buffer[], head: Buffer | null) {
  await b.commit([
    { kind: 'image-stage-clear', group },
    ...pieces.map((chunk, seq): WriteOp => ({ kind: 'image-stage', group, seq, chunk })),
  ]);
  const [out] = await b.commit([{ kind: 'image-install', group, raftSnapshot: head }]);
  return out;
}

test('an export reads one snapshot in small chunks while commits change the data', async () => {
  await withBackends(1, async (b) => {
    const keys = Array.from({ length: 300 }, (_, i) =>
      put(`key-${String(i).padStart(3, '0')}`, `v${i}`),
    );
    await b.commit([apply(3, [...keys, cas], 301)]);
    const reader = b.openImageReader(3);
    assert.equal(reader.appliedIndex, 301);
    assert.equal(reader.keys, 301);
    const pieces: Buffer[] = [];
    let round = 0;
    for (let last = false; !last; round++) {
      // Every chunk is separated by commits that change, delete and add keys.
      await b.commit([
        apply(
          3,
          [
            put(`key-${String(round).padStart(3, '0')}`, 'new'),
            del('key-299'),
            put(`zz${round}`, 'x'),
          ],
          302 + round,
        ),
      ]);
      const next = reader.next(200);
      assert.ok(next.chunk.length <= 200, `chunk of ${next.chunk.length} bytes`);
      pieces.push(Buffer.from(next.chunk));
      last = next.last;
    }
    assert.ok(pieces.length > 20, `${pieces.length} chunks`);
    const image = parse(pieces);
    assert.equal(image.index, 301);
    assert.equal(image.pairs.size, 301);
    for (let i = 0; i < 300; i++) {
      assert.equal(image.pairs.get(`key-${String(i).padStart(3, '0')}`), `v${i}`);
    }
    assert.deepEqual(image.sessions, ['client-1']);
    assert.throws(() => reader.next(200), /closed/);
    // A fresh export sees the new state; one large item still goes out whole.
    await b.commit([apply(3, [put('big', 'x'.repeat(5000))], 1000)]);
    const now = parse(exportAll(b, 3, 100));
    assert.equal(now.index, 1000);
    assert.equal(now.pairs.get('big')?.length, 5000);
    assert.equal(now.pairs.get('key-000'), 'new');
    assert.equal(now.pairs.has('key-299'), false);
  });
});

test('an install is staged in pieces cut anywhere and replaces the group in one commit, storing the snapshot head alone', async () => {
  await withBackends(2, async (a, b) => {
    await a.commit([apply(0, [cas, put('k2', 'v2'), put('k3', 'v3')], 3)]);
    const whole = Buffer.concat(exportAll(a, 0, 1 << 20));
    // Cut at every 7 bytes: pieces do not follow item boundaries.
    const pieces: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 7) pieces.push(whole.subarray(i, i + 7));

    await b.raftAppend(
      4,
      [1, 2].map((i) => ({ index: i, data: B(`e${i}`) })),
      null,
    );
    await b.commit([
      apply(4, [put('old', 'x'), put('k3', 'stale')], 1),
      {
        kind: 'raft-snapshot-pieces',
        group: 4,
        head: B('old-head'),
        pieces: Array.from({ length: 40 }, () => B('old piece')),
      },
    ]);
    const staged = await b.commit([
      { kind: 'image-stage-clear', group: 4 },
      ...pieces
        .slice(0, -1)
        .map((chunk, seq): WriteOp => ({ kind: 'image-stage', group: 4, seq, chunk })),
      apply(4, [put('same-commit', 'x')], 2),
      {
        kind: 'image-stage',
        group: 4,
        seq: pieces.length - 1,
        chunk: pieces[pieces.length - 1] as Buffer,
      },
    ]);
    assert.ok(
      staged.every((o) => !(o instanceof Error)),
      String(staged),
    );
    const [out] = await b.commit([{ kind: 'image-install', group: 4, raftSnapshot: B('head@3') }]);
    assert.equal(out, null);
    await assert.rejects(
      b.commit([
        apply(4, [put('x', 'y')], 9),
        { kind: 'image-install', group: 4, raftSnapshot: null },
      ]),
      /committed alone/,
    );
    assert.equal(await b.get(4, B('old')), null);
    assert.equal(await b.get(4, B('same-commit')), null, 'writes before the install are wiped');
    assert.equal(Buffer.from((await b.get(4, B('k3'))) ?? []).toString(), 'v3');
    const stats = await b.stats(4);
    assert.equal(stats.keys, 3);
    assert.equal(stats.appliedIndex, 3);
    // The stored snapshot is the head alone (the installed state is its
    // image): the old snapshot's pieces are gone, and no copy of the image
    // is written beside the state.
    const raft = await b.raftState(4);
    assert.equal(raft.snapshot?.toString(), 'head@3');
    assert.equal(raft.snapshotImageBytes, 0);
    assert.equal(
      (await b.raftSnapshotImage(4, B('head@3'), 0, 100)).length,
      0,
      'no piece is stored',
    );
    assert.ok(raft.lastIndex < raft.firstIndex, 'the log is discarded');
    assert.deepEqual(Buffer.concat(exportAll(b, 4, 1 << 20)), whole, 'the state is the image');
    // The session came along: a retry is answered, not applied again.
    const [retry] = await b.commit([apply(4, [cas], 4)]);
    assert.deepEqual(retry, [{ op: 'cas', swapped: true, current: B('v1') }]);
    // An image older than what the group has applied is refused; so is an install with nothing staged.
    const older = await install(b, 4, [whole], null);
    assert.ok(older instanceof WriteConflictError && /already applied/.test(older.message));
    const nothing = await install(b, 4, [], null);
    assert.ok(nothing instanceof WriteConflictError && /no staged image/.test(nothing.message));
  });
});

test('a raft snapshot is a head and pieces: a new one replaces all of the old, a plain save drops them', async () => {
  await withBackends(1, async (b) => {
    const keys = Array.from({ length: 50 }, (_, i) => put(`k${i}`, 'v'.repeat(40)));
    await b.commit([apply(1, keys, 50)]);
    const image = exportAll(b, 1, 256);
    assert.ok(image.length > 5);
    const many = Array.from({ length: image.length + 3 }, () => B('older'));
    await b.commit([{ kind: 'raft-snapshot-pieces', group: 1, head: B('h0'), pieces: many }]);
    await b.commit([{ kind: 'raft-snapshot-pieces', group: 1, head: B('h50'), pieces: image }]);
    const whole = Buffer.concat(image);
    const state = await b.raftState(1);
    assert.equal(state.snapshot?.toString(), 'h50');
    assert.equal(
      state.snapshotImageBytes,
      whole.length,
      'no piece of the older, longer snapshot is left',
    );
    // Any range, read in steps of 100 bytes (a step ends early at the end of a stored piece).
    const stored: Buffer[] = [];
    for (let offset = 0; ;) {
      const part = await b.raftSnapshotImage(1, B('h50'), offset, 100);
      if (part.length === 0) break;
      assert.ok(part.length <= 100);
      stored.push(Buffer.from(part));
      offset += part.length;
    }
    assert.deepEqual(Buffer.concat(stored), whole);
    assert.equal(parse(stored).index, 50);
    const mid = Math.floor(whole.length / 2);
    assert.deepEqual(
      Buffer.from(await b.raftSnapshotImage(1, B('h50'), mid, 1)),
      whole.subarray(mid, mid + 1),
      'from any byte',
    );
    await b.commit([{ kind: 'raft-snapshot', group: 1, snapshot: B('small') }]);
    assert.equal((await b.raftSnapshotImage(1, B('small'), 0, 100)).length, 0);
    assert.equal((await b.raftState(1)).snapshotImageBytes, 0);
  });
});

test('image parser: every cut point gives the same items; malformed images are refused', () => {
  const item = (tag: number, a: Buffer, b: Buffer): Buffer => {
    const h = Buffer.alloc(5);
    h[0] = tag;
    h.writeUInt32BE(a.length, 1);
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length, 0);
    return Buffer.concat([h, a, l, b]);
  };
  const whole = Buffer.concat([
    imageHeader(7),
    item(1, B('a'), B('1')),
    item(1, B('bb'), B('')),
    Buffer.from([0]),
  ]);
  for (let cut = 0; cut <= whole.length; cut++) {
    const got = parse([whole.subarray(0, cut), whole.subarray(cut)]);
    assert.equal(got.index, 7);
    assert.deepEqual(
      [...got.pairs],
      [
        ['a', '1'],
        ['bb', ''],
      ],
    );
  }
  const bad = (bytes: number[] | Buffer, re: RegExp): void => {
    assert.throws(
      () => {
        const p = new ImageParser();
        p.push(Buffer.from(bytes));
        p.end();
      },
      (e: unknown) => e instanceof PayloadError && re.test(e.message),
    );
  };
  bad([9, 0, 0, 0, 0, 0, 0, 0, 1, 0], /version 9/);
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1, 7], /unknown item tag 7/);
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0], /truncated/);
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1], /truncated/);
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0], /after its end/);
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 65, 0, 0, 0, 1, 0, 0], /bad session record/);
  // Declared lengths beyond the limits are refused before their bytes arrive.
  bad([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xff, 0xff, 0xff, 0xff, 0], /key of 4294967295 bytes/);
  bad(
    [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 65, 0x7f, 0xff, 0xff, 0xff],
    /value of 2147483647/,
  );
});

test('the group commit gives an image install a commit of its own', async () => {
  await withBackends(1, async (b) => {
    await b.commit([apply(2, [put('a', '1')], 1)]);
    const image = exportAll(b, 2, 1 << 20);
    const gc = new GroupCommitter(b);
    await gc.submit({ kind: 'image-stage-clear', group: 5 });
    await gc.submit({ kind: 'image-stage', group: 5, seq: 0, chunk: Buffer.concat(image) });
    // Submitted in one turn: without its own commit the backend would refuse the install.
    const out = await Promise.all([
      gc.submit(apply(6, [put('x', '1')])),
      gc.submit({ kind: 'image-install', group: 5, raftSnapshot: null }),
      gc.submit(apply(6, [put('y', '1')])),
    ]);
    assert.equal(out[1], null);
    assert.equal(Buffer.from((await b.get(5, B('a'))) ?? []).toString(), '1');
    assert.equal((await b.stats(6)).keys, 2);
    await gc.close();
  });
});
