// The Raft write-ahead log on real files in a temp dir: what is written is
// read back after a reopen, torn tails are cut, corruption elsewhere is refused.
import assert from 'node:assert/strict';
import {
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { open } from 'lmdb';
import type { RaftLogEntry } from '../../src/storage/api.js';
import { WriteConflictError, type PackedEntries } from '../../src/storage/backend.js';
import { crc32c } from '../../src/storage/crc32c.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import { DB_RAFT, RAFT_HARD_STATE, entryKey, taggedKey } from '../../src/storage/lmdb-layout.js';
import {
  RaftWal,
  WalCorruptError,
  writeRuns,
  type RaftWalOptions,
} from '../../src/storage/raft-wal.js';
import { readRecord } from '../../src/storage/wal-record.js';
import { WAL_SEGMENT_BYTES } from '../../src/storage/wal-segment.js';
import { tempDir } from '../helpers/processes.js';

const B = (s: string): Buffer => Buffer.from(s);
const entries = (from: number, to: number, tag: string): RaftLogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    index: from + i,
    data: B(`${tag}${from + i}`),
  }));
const SMALL: RaftWalOptions = { segmentBytes: 512, preallocate: false };

function dump(w: RaftWal, group = 0): string[] {
  return w
    .entries(group, 0, Number.MAX_SAFE_INTEGER, 1 << 30)
    .map((e) => `${e.index}:${Buffer.from(e.data).toString()}`);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('distdb-wal-');
  try {
    await fn(dir.path);
  } finally {
    dir.remove();
  }
}

function segments(dir: string, group = 0): string[] {
  return readdirSync(join(dir, 'wal', String(group)))
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => join(dir, 'wal', String(group), n));
}

test('crc32c matches the standard check value', () => {
  assert.equal(crc32c(B('123456789')), 0xe3069283);
  assert.equal(crc32c(B('')), 0);
  // Eight bytes at a time and the tail one at a time agree with the definition, at any offset.
  const bitwise = (b: Uint8Array, start: number, end: number): number => {
    let c = 0xffffffff;
    for (let i = start; i < end; i++) {
      c ^= b[i] as number;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 197 + 13) & 0xff);
  for (let start = 0; start < 9; start++) {
    for (const end of [start, start + 1, start + 7, start + 8, start + 9, start + 63, 300]) {
      assert.equal(crc32c(data, start, end), bitwise(data, start, end), `[${start}, ${end})`);
    }
  }
});

test('appends, overwrites, truncate, hard state and reset survive a reopen', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir);
    await w.append(0, entries(1, 5, 'a'), B('hs1'));
    await w.append(0, entries(4, 6, 'b'), null); // replaces 4 and 5
    await w.append(7, entries(10, 11, 'g'), B('g7'));
    await assert.rejects(w.append(0, entries(9, 9, 'x'), null), WriteConflictError);
    await w.truncate(0, 6);
    await w.append(0, [], B('hs2'));
    assert.deepEqual(dump(w), ['1:a1', '2:a2', '3:a3', '4:b4', '5:b5']);
    await w.close();
    const again = new RaftWal(dir);
    assert.deepEqual(dump(again), ['1:a1', '2:a2', '3:a3', '4:b4', '5:b5']);
    assert.equal(again.hardState(0)?.toString(), 'hs2');
    assert.deepEqual(dump(again, 7), ['10:g10', '11:g11']);
    await again.reset(0, 41);
    assert.deepEqual(again.bounds(0), { firstIndex: 41, lastIndex: 40 });
    await again.close();
    const third = new RaftWal(dir);
    assert.deepEqual(third.bounds(0), { firstIndex: 41, lastIndex: 40 });
    assert.equal(third.hardState(0)?.toString(), 'hs2');
    await third.append(0, entries(41, 41, 'n'), null);
    await third.close();
  });
});

test('entries packed as an append request carries them are logged byte for byte as the same entries one by one', async () => {
  const pack = (list: RaftLogEntry[]): PackedEntries => ({
    first: (list[0] as RaftLogEntry).index,
    count: list.length,
    bytes: Buffer.concat(
      list.map((e) => Buffer.concat([Buffer.from([0, 0, 0, e.data.byteLength]), e.data])),
    ),
  });
  const files: Buffer[] = [];
  for (const packed of [false, true]) {
    await withDir(async (dir) => {
      const w = new RaftWal(dir, { preallocate: false });
      const append = (list: RaftLogEntry[], hs: Buffer | null): Promise<void> =>
        w.append(0, packed ? pack(list) : list, hs);
      await append(entries(1, 5, 'a'), B('hs1'));
      await append(entries(4, 6, 'bb'), null); // replaces 4 and 5
      await assert.rejects(append(entries(9, 9, 'x'), null), WriteConflictError); // a gap
      assert.deepEqual(w.bounds(0), { firstIndex: 1, lastIndex: 6 });
      await w.close();
      files.push(Buffer.concat(segments(dir).map((f) => readFileSync(f))));
      const again = new RaftWal(dir);
      assert.deepEqual(dump(again), ['1:a1', '2:a2', '3:a3', '4:bb4', '5:bb5', '6:bb6']);
      await again.close();
    });
  }
  assert.deepEqual(files[1], files[0]);
});

test('appends arriving together share one write', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir);
    await w.append(0, entries(1, 1, 'a'), null); // creates the segment
    const before = readFileSync(segments(dir)[0] as string).length;
    const all = Array.from({ length: 50 }, (_, i) => w.append(0, entries(i + 2, i + 2, 'a'), null));
    // Nothing is written until the current synchronous run ends.
    assert.equal(readFileSync(segments(dir)[0] as string).length, before);
    await Promise.all(all);
    assert.equal(dump(w).length, 51);
    await w.close();
  });
});

test('reads come from the files: a log read in pages sees a write made between pages', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, SMALL);
    for (let i = 1; i <= 20; i++) await w.append(0, entries(i, i, 'p'.repeat(40)), null);
    assert.ok(segments(dir).length > 1, 'the log spans several segments');
    // A first page (the replay is kept for the next one) ...
    assert.deepEqual(
      w.entries(0, 1, 21, 100).map((e) => e.index),
      [1, 2],
    );
    // ... then a write: the next page sees it.
    await w.append(0, entries(3, 3, 'new'), null);
    assert.deepEqual(
      w.entries(0, 3, 21, 1 << 20).map((e) => `${e.index}:${Buffer.from(e.data).toString()}`),
      ['3:new3'],
    );
    // Damage on disk since the open: a read says so rather than return it.
    const [first] = segments(dir);
    const buf = readFileSync(first as string);
    buf[60] = (buf[60] as number) ^ 0xff;
    writeFileSync(first as string, buf);
    assert.throws(
      () => w.entries(0, 1, 4, 1 << 20),
      (err: Error) =>
        err instanceof WalCorruptError &&
        err.message.includes(first as string) &&
        /CRC/.test(err.message),
    );
    assert.deepEqual(w.bounds(0), { firstIndex: 1, lastIndex: 3 }, 'the bounds are kept in memory');
    await w.close();
  });
});

test('segments roll at the size limit; compaction deletes whole compacted segments only', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, SMALL);
    for (let i = 1; i <= 60; i++) await w.append(0, entries(i, i, 'e'.repeat(40)), B(`hs${i}`));
    const rolled = segments(dir).length;
    assert.ok(rolled > 5, `expected several segments, got ${rolled}`);
    // Compact at several points, reopening each time: only wholly compacted segments go.
    let again = w;
    for (const through of [7, 13, 22, 30]) {
      await again.compact(0, through);
      await again.close();
      again = new RaftWal(dir, SMALL);
      assert.deepEqual(again.bounds(0), { firstIndex: through + 1, lastIndex: 60 });
      assert.deepEqual(
        dump(again),
        entries(through + 1, 60, 'e'.repeat(40)).map((e) => `${e.index}:${e.data.toString()}`),
      );
    }
    const left = segments(dir).length;
    assert.ok(left < rolled && left > 1, `${rolled} segments, ${left} after compaction`);
    assert.equal(again.hardState(0)?.toString(), 'hs60');
    // Compacting past the end: an empty log taking the next index.
    await again.compact(0, 100);
    assert.equal(segments(dir).length, 1);
    await again.close();
    const third = new RaftWal(dir, SMALL);
    assert.deepEqual(third.bounds(0), { firstIndex: 101, lastIndex: 100 });
    assert.equal(third.hardState(0)?.toString(), 'hs60');
    await third.close();
  });
});

test('preallocated segments: the zeros after the last record are not records', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, { segmentBytes: 64 * 1024 });
    for (let i = 1; i <= 300; i++) await w.append(0, entries(i, i, 'p'.repeat(500)), null);
    assert.ok(segments(dir).length > 1);
    assert.equal(readFileSync(segments(dir)[0] as string).length, 64 * 1024);
    await w.close();
    const again = new RaftWal(dir, { segmentBytes: 64 * 1024 });
    assert.deepEqual(again.bounds(0), { firstIndex: 1, lastIndex: 300 });
    await again.close();
  });
});

test('a torn record at the end of the last segment is cut off; later writes are not shadowed', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir);
    await w.append(0, entries(1, 3, 'a'), null);
    await w.close();
    const path = segments(dir)[0] as string;
    const good = readFileSync(path);
    const end = good.indexOf(Buffer.alloc(16));
    // A record whose second half never reached the disk, then a stray record's bytes.
    const fd = openSync(path, 'r+');
    const torn = Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 2, 9, 9]);
    writeSync(fd, torn, 0, torn.length, end);
    closeSync(fd);
    const logged: unknown[] = [];
    const log = { warn: (o: unknown) => logged.push(o), error: () => undefined };
    const again = new RaftWal(dir, { log: log as never });
    assert.deepEqual(dump(again), ['1:a1', '2:a2', '3:a3']);
    assert.equal(logged.length, 1, 'the cut is logged');
    await again.append(0, entries(4, 4, 'b'), null);
    await again.close();
    const third = new RaftWal(dir);
    assert.deepEqual(dump(third), ['1:a1', '2:a2', '3:a3', '4:b4']);
    await third.close();
  });
});

test('a corrupt record in an older segment refuses to open, naming the file and offset', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, SMALL);
    for (let i = 1; i <= 30; i++) await w.append(0, entries(i, i, 'c'.repeat(40)), null);
    await w.close();
    const first = segments(dir)[0] as string;
    const buf = readFileSync(first);
    buf[60] = (buf[60] as number) ^ 0xff; // one flipped byte inside the second record
    writeFileSync(first, buf);
    assert.throws(
      () => new RaftWal(dir, SMALL),
      (err: Error) =>
        err instanceof WalCorruptError &&
        err.message.includes(first) &&
        /at offset \d+/.test(err.message) &&
        /CRC/.test(err.message),
    );
  });
});

/** Where each record of a segment file starts, read with the replay's own reader. */
function recordOffsets(buf: Buffer): number[] {
  const offsets: number[] = [];
  let off = 0;
  for (let r = readRecord(buf, off); r !== null; r = readRecord(buf, off)) {
    offsets.push(off);
    off = r.next;
  }
  return offsets;
}

/** Bytes that hold no well-formed record: a fixed pseudo-random sequence. */
function garbage(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const BOUNDED: RaftWalOptions = { maxWriteBytes: 1024 };

test('corruption early in the last segment, with acknowledged records after it, refuses to open', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, BOUNDED);
    for (let i = 1; i <= 40; i++) await w.append(0, entries(i, i, 'd'.repeat(100)), null);
    await w.close();
    const path = segments(dir)[0] as string;
    assert.equal(segments(dir).length, 1, 'one segment: it is the last');
    const good = readFileSync(path);
    const at = recordOffsets(good)[4] as number; // the entries record of index 2
    // A flipped byte in its payload, and a zeroed length (which reads as the end of the log).
    const flipped = Buffer.from(good);
    flipped[at + 30] = (flipped[at + 30] as number) ^ 0x01;
    const zeroLength = Buffer.from(good);
    zeroLength.fill(0, at, at + 4);
    for (const [bad, why] of [
      [flipped, /CRC/],
      [zeroLength, /zero record length/],
    ] as const) {
      writeFileSync(path, bad);
      assert.throws(
        () => new RaftWal(dir, BOUNDED),
        (err: Error) =>
          err instanceof WalCorruptError &&
          err.message.includes(path) &&
          err.message.includes(`at offset ${at}:`) &&
          why.test(err.message) &&
          /refusing to start/.test(err.message),
      );
      assert.deepEqual(readFileSync(path), bad, 'nothing was cut');
    }
  });
});

test('a torn last write (a record cut short, then zeros) is cut off and the log opens', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir);
    for (let i = 1; i <= 5; i++) await w.append(0, entries(i, i, 't'.repeat(100)), null);
    await w.close();
    const path = segments(dir)[0] as string;
    const buf = readFileSync(path);
    const last = recordOffsets(buf).at(-1) as number;
    buf.fill(0, last + 40, last + 200); // the second half of the last write never reached the disk
    writeFileSync(path, buf);
    const logged: unknown[] = [];
    const log = { warn: (o: unknown) => logged.push(o), error: () => undefined };
    const again = new RaftWal(dir, { log: log as never });
    assert.deepEqual(again.bounds(0), { firstIndex: 1, lastIndex: 4 });
    assert.equal(logged.length, 1, 'the cut is logged');
    assert.ok(
      readFileSync(path)
        .subarray(last)
        .every((b) => b === 0),
      'the torn bytes are zeroed',
    );
    await again.append(0, entries(5, 5, 'u'), null);
    await again.close();
    const third = new RaftWal(dir);
    assert.deepEqual(dump(third).at(-1), '5:u5');
    await third.close();
  });
});

test('a torn last write followed by bytes holding no valid record is cut off', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, BOUNDED);
    for (let i = 1; i <= 3; i++) await w.append(0, entries(i, i, 'g'.repeat(100)), null);
    await w.close();
    const path = segments(dir)[0] as string;
    const buf = readFileSync(path);
    const offsets = recordOffsets(buf);
    const end = buf.indexOf(Buffer.alloc(16));
    // After the log: a record cut short, garbage, and a copy of a real
    // record failing its CRC by one bit, all reaching well past maxWriteBytes.
    const [second, third] = [offsets.at(-2) as number, offsets.at(-1) as number]; // entries 2 and 3
    const fake = Buffer.from(buf.subarray(second, third));
    fake[fake.length - 1] = (fake[fake.length - 1] as number) ^ 0x01;
    const tail = Buffer.concat([
      buf.subarray(third, third + 20),
      garbage(3000),
      fake,
      garbage(500),
    ]);
    tail.copy(buf, end);
    writeFileSync(path, buf);
    const again = new RaftWal(dir, BOUNDED);
    assert.deepEqual(again.bounds(0), { firstIndex: 1, lastIndex: 3 });
    await again.close();
    assert.ok(
      readFileSync(path)
        .subarray(end)
        .every((b) => b === 0),
    );
  });
});

test('a torn write whose later records reached the disk and earlier ones did not is cut off (a write is bounded)', async () => {
  await withDir(async (dir) => {
    const w = new RaftWal(dir, BOUNDED);
    await w.append(0, entries(1, 1, 'a'), null);
    // Six appends together: one write of about 600 bytes, under maxWriteBytes.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => w.append(0, entries(i + 2, i + 2, 'b'.repeat(80)), null)),
    );
    await w.close();
    const path = segments(dir)[0] as string;
    const buf = readFileSync(path);
    const offsets = recordOffsets(buf);
    const first = offsets.at(-6) as number;
    buf.fill(0, first + 20, first + 60); // a hole in the write's first record; its later records are whole
    writeFileSync(path, buf);
    const again = new RaftWal(dir, BOUNDED);
    assert.deepEqual(dump(again), ['1:a1']);
    await again.close();
  });
});

test('a write is split into runs of whole records of at most maxWriteBytes, a larger record alone', () => {
  const r = (n: number): Buffer => Buffer.alloc(n);
  const sizes = (runs: Buffer[][]): number[][] => runs.map((run) => run.map((b) => b.length));
  assert.deepEqual(sizes(writeRuns([r(40), r(50), r(10), r(200), r(30)], 100)), [
    [40, 50, 10],
    [200],
    [30],
  ]);
  assert.deepEqual(sizes(writeRuns([r(10)], 100)), [[10]]);
  assert.deepEqual(sizes(writeRuns([], 100)), []);
});

test('diskBytes is the size of every segment file, preallocated zeros and the prepared next segment included', async () => {
  await withDir(async (dir) => {
    const onDisk = (): number =>
      readdirSync(join(dir, 'wal'))
        .flatMap((g) => readdirSync(join(dir, 'wal', g)).map((n) => join(dir, 'wal', g, n)))
        .reduce((sum, f) => sum + statSync(f).size, 0);
    const opts: RaftWalOptions = { segmentBytes: 64 * 1024 };
    const w = new RaftWal(dir, opts);
    assert.equal(w.diskBytes(), 0);
    // About 175 KB: the third segment is over half full, so the fourth is prepared.
    for (let i = 1; i <= 330; i++) await w.append(0, entries(i, i, 'p'.repeat(500)), null);
    await w.append(3, entries(1, 1, 'x'), null);
    await w.compact(0, 150);
    await w.close(); // waits for the next segment's preallocation
    assert.ok(segments(dir).length > 1);
    assert.ok(readdirSync(join(dir, 'wal', '0')).includes('next.tmp'));
    assert.equal(w.diskBytes(), onDisk());
    const again = new RaftWal(dir, opts); // removes next.tmp
    assert.equal(again.diskBytes(), onDisk());
    assert.ok(again.diskBytes() >= 3 * 64 * 1024);
    await again.close();
  });
});

/** The log as Raft's append semantics define it, in memory. */
class ModelLog {
  first = 1;
  entries: string[] = [];
  hardState: string | null = null;
  get last(): number {
    return this.first + this.entries.length - 1;
  }
}

type Op =
  | { kind: 'append'; back: number; n: number; hs: boolean }
  | { kind: 'truncate'; back: number }
  | { kind: 'compact'; back: number }
  | { kind: 'reset'; ahead: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat(4),
      n: fc.integer({ min: 0, max: 4 }),
      hs: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('compact' as const),
      back: fc.integer({ min: -3, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), ahead: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
);

test('property: the log matches an in-memory model through appends, truncates, compactions, resets and reopens', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      await withDir(async (dir) => {
        // Half the runs (with and without preallocation) write in runs of at most 64 bytes.
        const opts: RaftWalOptions = {
          segmentBytes: 300,
          preallocate: run % 2 === 0,
          maxWriteBytes: run++ % 4 < 2 ? 64 : undefined,
        };
        let w = new RaftWal(dir, opts);
        const m = new ModelLog();
        let stamp = 0;
        try {
          for (const op of ops) {
            stamp++;
            switch (op.kind) {
              case 'append': {
                const empty = m.entries.length === 0;
                const at = empty ? m.first : Math.max(m.first, m.last + 1 - op.back);
                const data = Array.from({ length: op.n }, (_, i) => `v${stamp}.${at + i}`);
                const hs = op.hs ? `hs${stamp}` : null;
                await w.append(
                  0,
                  data.map((d, i) => ({ index: at + i, data: B(d) })),
                  hs ? B(hs) : null,
                );
                if (op.n > 0) {
                  m.entries.length = at - m.first;
                  m.entries.push(...data);
                }
                if (hs) m.hardState = hs;
                break;
              }
              case 'truncate': {
                const from = Math.max(0, m.last + 1 - op.back);
                await w.truncate(0, from);
                const f = Math.max(from, m.first);
                if (f <= m.last) m.entries.length = f - m.first;
                break;
              }
              case 'compact': {
                const through = Math.max(0, m.first - 1 + op.back);
                await w.compact(0, through);
                if (through >= m.first) {
                  m.entries = through >= m.last ? [] : m.entries.slice(through + 1 - m.first);
                  m.first = through + 1;
                }
                break;
              }
              case 'reset':
                await w.reset(0, m.last + 1 + op.ahead);
                m.first = m.last + 1 + op.ahead;
                m.entries = [];
                break;
              case 'reopen':
                await w.close();
                w = new RaftWal(dir, opts);
                break;
            }
            assert.deepEqual(
              dump(w),
              m.entries.map((d, i) => `${m.first + i}:${d}`),
            );
            assert.deepEqual(w.bounds(0), { firstIndex: m.first, lastIndex: m.last });
            assert.equal(w.hardState(0)?.toString() ?? null, m.hardState);
          }
          await w.close();
          w = new RaftWal(dir, opts);
          assert.deepEqual(
            dump(w),
            m.entries.map((d, i) => `${m.first + i}:${d}`),
          );
          assert.deepEqual(w.bounds(0), { firstIndex: m.first, lastIndex: m.last });
          assert.equal(w.hardState(0)?.toString() ?? null, m.hardState);
        } finally {
          await w.close();
        }
      });
    }),
    { numRuns: 60 },
  );
});

test('an old data dir: the Raft log and hard state move from LMDB into the write-ahead log', async () => {
  await withDir(async (dir) => {
    // What main's code wrote before the write-ahead log: the raft sub-database.
    const root = open<Buffer, Buffer>({
      path: join(dir, 'lmdb'),
      maxDbs: 8,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    const raft = root.openDB<Buffer, Buffer>(DB_RAFT, {
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    await root.batch(() => {
      for (const e of entries(3, 9, 'old')) void raft.put(entryKey(0, e.index), e.data as Buffer);
      void raft.put(taggedKey(0, RAFT_HARD_STATE), B('old-hs'));
      void raft.put(taggedKey(5, RAFT_HARD_STATE), B('g5-hs'));
    });
    await root.close();
    const b = new LmdbBackend(dir);
    // Each migrated first segment is preallocated like any other: 16 MiB of blocks on disk.
    for (const group of [0, 5]) {
      const [first, ...more] = segments(dir, group);
      assert.deepEqual(more, []);
      const st = statSync(first as string);
      assert.equal(st.size, WAL_SEGMENT_BYTES);
      assert.ok(st.blocks * 512 >= WAL_SEGMENT_BYTES, `${st.blocks} blocks allocated`);
    }
    assert.deepEqual(
      readdirSync(join(dir, 'wal', '0')).filter((n) => !n.endsWith('.wal')),
      [],
      'no next.tmp left',
    );
    const s = await b.raftState(0);
    assert.deepEqual([s.firstIndex, s.lastIndex, s.hardState?.toString()], [3, 9, 'old-hs']);
    assert.equal((await b.raftEntries(0, 3, 4, 100))[0]?.data.toString(), 'old3');
    assert.equal((await b.raftState(5)).hardState?.toString(), 'g5-hs');
    await b.raftAppend(0, entries(10, 10, 'new'), null);
    await b.close();
    // Gone from LMDB; served from the log after a reopen.
    const check = open<Buffer, Buffer>({
      path: join(dir, 'lmdb'),
      maxDbs: 8,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    const raft2 = check.openDB<Buffer, Buffer>(DB_RAFT, {
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    assert.equal(raft2.getBinary(entryKey(0, 3)), undefined);
    assert.equal(raft2.getBinary(taggedKey(0, RAFT_HARD_STATE)), undefined);
    await check.close();
    const again = new LmdbBackend(dir);
    const s2 = await again.raftState(0);
    assert.deepEqual([s2.firstIndex, s2.lastIndex, s2.hardState?.toString()], [3, 10, 'old-hs']);
    await again.close();
  });
});
