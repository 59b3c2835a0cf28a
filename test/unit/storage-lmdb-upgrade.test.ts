// The one-time upgrade of an LMDB data dir at open (lmdb-upgrade.ts), on real
// LMDB files: a data dir of layout 1 (no version record, as every build
// before it wrote) whose stored key counts drifted is recounted once, its
// applied index untouched; one written by a newer build is refused.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { open } from 'lmdb';
import pino from 'pino';
import type { Proposal } from '../../src/kv/types.js';
import type { WriteOp } from '../../src/storage/backend.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import {
  DB_DATA,
  DB_LAYOUT,
  DB_META,
  LAYOUT_VERSION,
  META_KEY_COUNT,
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
    fn({ data: db(DB_DATA), meta: db(DB_META), layout: db(DB_LAYOUT) });
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

test('a layout-1 data dir with drifted key counts is recounted at open, once, its applied index untouched', async () => {
  const dir = tempDir('distdb-upgrade-');
  try {
    await openAndRead(dir.path, async (b) => {
      await b.commit([apply(0, [put('a'), put('b'), put('c')], 3)]);
      await b.commit([apply(7, [put('x'), del('x')], 2)]);
    });
    // What a build between 7a41a19 and 967b547 could leave: counts one off,
    // and no version record.
    await withLmdb(dir.path, ({ meta, layout }) => {
      meta.putSync(taggedKey(0, META_KEY_COUNT), u64Value(2));
      meta.putSync(taggedKey(7, META_KEY_COUNT), u64Value(1));
      layout.removeSync(Buffer.from('version'));
    });

    const first = await openAndRead(dir.path, async (b) => {
      assert.equal((await b.stats(0)).keys, 3);
      assert.equal((await b.stats(0)).appliedIndex, 3);
      assert.equal((await b.stats(7)).keys, 0);
      assert.equal((await b.stats(7)).appliedIndex, 2);
    });
    const fixed = first.map((l) => JSON.parse(l) as { msg: string; fixed?: unknown });
    const report = fixed.find((l) => /recounted every group's keys/.test(l.msg));
    assert.deepEqual(report?.fixed, [
      { group: 0, stored: 2, keys: 3 },
      { group: 7, stored: 1, keys: 0 },
    ]);
    await withLmdb(dir.path, (dbs) => assert.equal(storedLayoutVersion(dbs), LAYOUT_VERSION));

    // Recorded: the next open does not scan again.
    const second = await openAndRead(dir.path, async (b) => {
      assert.equal((await b.stats(0)).keys, 3);
    });
    assert.ok(!second.some((l) => /recounted/.test(l)), second.join(''));
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
