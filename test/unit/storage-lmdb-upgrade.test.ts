// The one-time upgrade of an LMDB data dir at open (lmdb-upgrade.ts), on real
// LMDB files: a data dir of layout 1 (no version record, as every build
// before it wrote) or 2 has its stored key counts, drifted or not, deleted
// once, its applied index untouched, and its key counts are LMDB's own; one
// written by a newer build is refused.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { open } from 'lmdb';
import pino from 'pino';
import type { Proposal } from '../../src/kv/types.js';
import type { WriteOp } from '../../src/storage/backend.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import {
  DB_LAYOUT,
  DB_META,
  DB_RAFT,
  LAYOUT_VERSION,
  META_KEY_COUNT,
  RAFT_SNAPSHOT_CHUNK,
  pieceKey,
  taggedKey,
  u64Value,
} from '../../src/storage/lmdb-layout.js';
import {
  storedLayoutVersion,
  writeLayoutVersion,
  type LayoutDbs,
} from '../../src/storage/lmdb-upgrade.js';
import type { BinaryDb } from '../../src/storage/write-overlay.js';
import { tempDir } from '../helpers/processes.js';

const B = (s: string): Buffer => Buffer.from(s);
const put = (k: string): Proposal => ({ command: { op: 'put', key: B(k), value: B('v') } });
const del = (k: string): Proposal => ({ command: { op: 'del', keys: [B(k)] } });
const apply = (group: number, proposals: Proposal[], appliedIndex: number): WriteOp => ({
  kind: 'apply',
  group,
  proposals,
  appliedIndex,
});

/** Opens the data dir's LMDB environment as the backend does, outside it. */
async function withLmdb(dir: string, fn: (dbs: LayoutDbs) => void): Promise<void> {
  const root = open<Buffer, Buffer>({
    path: join(dir, 'lmdb'),
    maxDbs: 8,
    keyEncoding: 'binary',
    encoding: 'binary',
  });
  const db = (name: string): BinaryDb =>
    root.openDB<Buffer, Buffer>(name, { keyEncoding: 'binary', encoding: 'binary' });
  try {
    fn({ meta: db(DB_META), raft: db(DB_RAFT), layout: db(DB_LAYOUT) });
  } finally {
    await root.close();
  }
}

/** Opens the backend with a logger whose lines are kept; returns them after closing it. */
async function openAndRead(dir: string, fn: (b: LmdbBackend) => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const b = new LmdbBackend(dir, { log });
  try {
    await fn(b);
  } finally {
    await b.close();
  }
  return lines;
}

for (const oldVersion of [1, 2]) {
  test(`a layout-${oldVersion} data dir's stored key counts, drifted or not, are deleted at open, once, its applied index untouched`, async () => {
    const dir = tempDir('distdb-upgrade-');
    try {
      await openAndRead(dir.path, async (b) => {
        await b.commit([apply(0, [put('a'), put('b'), put('c')], 3)]);
        await b.commit([apply(7, [put('x'), del('x')], 2)]);
      });
      // What an older build left: a count per group (group 0's short by one,
      // as builds between 7a41a19 and 967b547 could leave it), and its version.
      await withLmdb(dir.path, (dbs) => {
        dbs.meta.putSync(taggedKey(0, META_KEY_COUNT), u64Value(2));
        dbs.meta.putSync(taggedKey(7, META_KEY_COUNT), u64Value(0));
        if (oldVersion === 1) dbs.layout.removeSync(Buffer.from('version'));
        else writeLayoutVersion(dbs, oldVersion);
      });

      const first = await openAndRead(dir.path, async (b) => {
        assert.equal((await b.stats(0)).keys, 3);
        assert.equal((await b.stats(0)).appliedIndex, 3);
        assert.equal((await b.stats(7)).keys, 0);
        assert.equal((await b.stats(7)).appliedIndex, 2);
      });
      const lines = first.map((l) => JSON.parse(l) as { msg: string; groups?: number });
      const report = lines.find((l) => /deleted the stored key counts/.test(l.msg));
      assert.equal(report?.groups, 2, first.join(''));
      await withLmdb(dir.path, (dbs) => {
        assert.equal(storedLayoutVersion(dbs), LAYOUT_VERSION);
        assert.equal(dbs.meta.getBinary(taggedKey(0, META_KEY_COUNT)), undefined);
        assert.equal(dbs.meta.getBinary(taggedKey(7, META_KEY_COUNT)), undefined);
      });

      // Recorded: the next open does nothing more.
      const second = await openAndRead(dir.path, async (b) => {
        assert.equal((await b.stats(0)).keys, 3);
      });
      assert.ok(!second.some((l) => /stored key counts/.test(l)), second.join(''));
    } finally {
      dir.remove();
    }
  });
}

test("a layout-3 data dir's snapshot image, in pieces keyed by sequence number, is deleted at open; its head stays", async () => {
  const dir = tempDir('distdb-upgrade-');
  try {
    await openAndRead(dir.path, async (b) => {
      await b.commit([{ kind: 'raft-snapshot', group: 0, snapshot: B('head@5') }]);
    });
    await withLmdb(dir.path, (dbs) => {
      for (const seq of [0, 1]) dbs.raft.putSync(pieceKey(0, RAFT_SNAPSHOT_CHUNK, seq), B('piece'));
      writeLayoutVersion(dbs, 3);
    });
    const lines = await openAndRead(dir.path, async (b) => {
      const state = await b.raftState(0);
      assert.equal(state.snapshot?.toString(), 'head@5');
      assert.equal(
        state.snapshotImageBytes,
        0,
        'no image: a follower that needs one gets a new one',
      );
    });
    assert.ok(
      lines.some((l) => /deleted the stored snapshot image/.test(l) && /"pieces":2/.test(l)),
      lines.join(''),
    );
    await withLmdb(dir.path, (dbs) => assert.equal(storedLayoutVersion(dbs), LAYOUT_VERSION));
  } finally {
    dir.remove();
  }
});

test('a new data dir is written at the current layout version; a newer one is refused', async () => {
  const dir = tempDir('distdb-upgrade-');
  try {
    await openAndRead(dir.path, async (b) => {
      await b.commit([apply(0, [put('a')], 1)]);
    });
    await withLmdb(dir.path, (dbs) => {
      assert.equal(storedLayoutVersion(dbs), LAYOUT_VERSION);
      writeLayoutVersion(dbs, LAYOUT_VERSION + 1);
    });
    assert.throws(
      () => new LmdbBackend(dir.path),
      new RegExp(`written by a newer distdb \\(LMDB layout version ${LAYOUT_VERSION + 1}`),
    );
  } finally {
    dir.remove();
  }
});

test('a damaged layout record is refused with a message that says what to do', async () => {
  const dir = tempDir('distdb-upgrade-');
  try {
    await openAndRead(dir.path, async (b) => {
      await b.commit([apply(0, [put('a')], 1)]);
    });
    await withLmdb(dir.path, (dbs) =>
      dbs.layout.putSync(Buffer.from('version'), Buffer.from([0, 3])),
    );
    assert.throws(
      () => new LmdbBackend(dir.path),
      /layout record is damaged \(2 bytes, expected 4\): restore the data dir from a backup/,
    );
  } finally {
    dir.remove();
  }
});
