// The storage engine as a real process on a real socket and a real LMDB file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Proposal } from '../../src/kv/types.js';
import {
  connectStorage,
  StorageError,
  StorageTimeoutError,
  StorageUnavailableError,
  type StorageClient,
} from '../../src/storage/client.js';
import {
  FrameDecoder,
  FrameWriter,
  PayloadReader,
  type Frame,
} from '../../src/storage/frame-codec.js';
import { ErrorCode, HELLO_MAGIC, Op, PROTOCOL_VERSION } from '../../src/storage/protocol.js';
import { startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { StorageProxy } from '../helpers/storage-proxy.js';

const B = (s: string): Buffer => Buffer.from(s);
const put = (k: string, v: string): Proposal => ({
  command: { op: 'put', key: B(k), value: B(v) },
});

interface Engine {
  proc: Proc;
  socket: string;
}

async function startEngine(dataDir: string, extra: string[] = []): Promise<Engine> {
  const proc = startDistdb(['storage', '--data-dir', dataDir, ...extra]);
  const m = await proc.waitFor(/distdb storage ready socket=(\S+)/);
  return { proc, socket: m[1] as string };
}

/** Runs `fn` with a fresh data dir and engine; always stops the engine and removes the dir. */
async function withEngine(fn: (e: Engine, dataDir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    engine = await startEngine(dir.path);
    await fn(engine, dir.path);
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
}

/** A raw socket that collects whatever frames the engine sends, and notices the close. */
function rawConnection(path: string): Promise<{
  sock: Socket;
  frames: Frame[];
  closed: Promise<void>;
  next(): Promise<Frame>;
}> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(4 << 20);
    let wake: (() => void) | null = null;
    sock.on('data', (c: Buffer) => {
      decoder.push(c, (f) => frames.push(f));
      wake?.();
    });
    const closed = new Promise<void>((ok) => sock.on('close', () => ok()));
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        sock,
        frames,
        closed,
        async next() {
          while (frames.length === 0) await new Promise<void>((ok) => (wake = ok));
          return frames.shift() as Frame;
        },
      }),
    );
  });
}

function errorOf(f: Frame): { code: number; message: string } {
  assert.equal(f.op, Op.error);
  const r = new PayloadReader(f.payload);
  return { code: r.u16(), message: r.rest().toString() };
}

const hello = (version = PROTOCOL_VERSION): Buffer =>
  new FrameWriter(0, Op.hello, 0).u32(HELLO_MAGIC).u16(version).finish();

test('apply, get, scan and stats through connectStorage, many requests in flight', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    try {
      const n = 500;
      const writes = Array.from({ length: n }, (_, i) =>
        c.apply(0, [put(`k${String(i).padStart(4, '0')}`, `v${i}`)], 0),
      );
      // Reads race the writes on the same connection; replies may overtake each other.
      const reads = Array.from({ length: 50 }, () => c.get(0, B('k0000')));
      const results = await Promise.all(writes);
      await Promise.all(reads);
      assert.ok(results.every((r) => r.length === 1 && r[0]?.op === 'put' && r[0].written));
      assert.equal((await c.get(0, B('k0042')))?.toString(), 'v42');
      assert.equal(await c.get(0, B('absent')), null);
      assert.equal(await c.get(1, B('k0042')), null, 'another group is empty');

      const [nx] = await c.apply(
        0,
        [{ command: { op: 'put', key: B('k0001'), value: B('x'), cond: 'nx' } }],
        0,
      );
      assert.deepEqual(nx, { op: 'put', written: false, old: null });

      // Results written straight into the reply frame, one larger than the
      // frame's first guess (16 bytes a result): the frame grows mid-reply.
      const getOld = (value: string): Proposal => ({
        command: { op: 'put', key: B('k0002'), value: B(value), returnOld: true },
      });
      const olds = await c.apply(0, [getOld('y'.repeat(300)), getOld('z'), getOld('w')], 0);
      assert.deepEqual(
        olds.map((r) => (r.op === 'put' ? Buffer.from(r.old ?? []).toString() : r.op)),
        ['v2', 'y'.repeat(300), 'z'],
      );

      const page = await c.scan(0, B('k0498'), 10);
      assert.deepEqual(
        page.entries.map(([k, v]) => `${Buffer.from(k).toString()}=${Buffer.from(v).toString()}`),
        ['k0498=v498', 'k0499=v499'],
      );
      assert.equal(page.next, null);
      const first = await c.scan(0, B(''), 2);
      assert.equal(Buffer.from(first.next ?? []).toString(), 'k0002');

      const stats = await c.stats(0);
      assert.equal(stats.keys, n);
      assert.equal(stats.appliedIndex, 0);
      assert.ok(stats.diskBytes > 0);
      // Group commit: the burst shared commits.
      assert.ok(stats.commits !== undefined && stats.committedWrites !== undefined);
      assert.ok(stats.committedWrites >= n);
      assert.ok(
        stats.commits * 5 < stats.committedWrites,
        `commits ${stats.commits} for ${stats.committedWrites} writes`,
      );
    } finally {
      await c.close();
    }
  });
});

test('gets issued together share getMany frames, answered in parts when the values are large', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    const raw = await rawConnection(socket);
    try {
      // 24 values of 100 KiB: more than one getMany reply holds (GET_MANY_REPLY_BYTES).
      const big = (i: number): Buffer => Buffer.alloc(100 * 1024, i);
      for (let i = 0; i < 24; i++) await c.apply(0, [put(`big${i}`, big(i).toString('latin1'))], 0);
      await c.apply(0, [put('small', 'v')], 0);
      await c.apply(1, [put('small', 'group 1')], 0);

      // More keys than one frame carries (GET_MANY_MAX_KEYS), absent ones, two groups, one tick.
      const keys = Array.from({ length: 2500 }, (_, i) => (i % 100 === 7 ? 'small' : `absent${i}`));
      const bigs = Array.from({ length: 24 }, (_, i) => c.get(0, B(`big${i}`)));
      const smalls = keys.map((k) => c.get(0, B(k)));
      const other = c.get(1, B('small'));
      const values = await Promise.all(smalls);
      values.forEach((v, i) =>
        assert.equal(v?.toString() ?? null, keys[i] === 'small' ? 'v' : null),
      );
      (await Promise.all(bigs)).forEach((v, i) =>
        assert.ok(v !== null && big(i).equals(v), `big${i}`),
      );
      assert.equal((await other)?.toString(), 'group 1');

      // On the wire: the engine answers a prefix of a batch whose values are too large for one reply.
      raw.sock.write(
        new FrameWriter(1, Op.hello, 0).u32(HELLO_MAGIC).u16(PROTOCOL_VERSION).finish(),
      );
      assert.equal((await raw.next()).op, Op.hello);
      const ask = new FrameWriter(2, Op.getMany, 0).u32(25);
      for (let i = 0; i < 24; i++) ask.bytes(B(`big${i}`));
      raw.sock.write(ask.bytes(B('small')).finish());
      const r = new PayloadReader((await raw.next()).payload);
      const answered = r.u32();
      assert.ok(answered >= 1 && answered < 25, `answered ${answered} of 25`);
      for (let i = 0; i < answered; i++) assert.ok(big(i).equals(r.nullableBytes() as Buffer));
      r.end();
      raw.sock.write(new FrameWriter(3, Op.getMany, 0).u32(0).finish());
      assert.equal(errorOf(await raw.next()).code, ErrorCode.badRequest);
    } finally {
      raw.sock.destroy();
      await c.close();
    }
  });
});

test('a value stored under a larger frame is refused alone, saying what to set; the connection serves on', async () => {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    engine = await startEngine(dir.path);
    let c = await connectStorage(engine.socket);
    // A reply of an engine with a 64 KiB frame carries 256 KiB.
    const huge = Buffer.alloc(300 * 1024, 1);
    await c.apply(0, [{ command: { op: 'put', key: B('huge'), value: huge } }], 0);
    await c.apply(0, [put('a', '1'), put('b', '2')], 0);
    await c.close();
    await engine.proc.stop();
    engine = await startEngine(dir.path, ['--max-frame-size', String(64 * 1024)]);
    c = await connectStorage(engine.socket);
    const refusal = (e: unknown): boolean =>
      e instanceof StorageError &&
      e.code === 'limit' &&
      /^the value is 307200 bytes, more than a reply of this storage engine carries \(262135 bytes: 4 × STORAGE_MAX_FRAME_SIZE 65536, less the header\); it was stored under a larger frame: restart the storage engine with STORAGE_MAX_FRAME_SIZE of at least 768\d\d to read it$/.test(
        e.message,
      );
    try {
      // One tick: one getMany, whose reply has no room for the huge value.
      const gets = ['a', 'huge', 'b', 'huge', 'a'].map((k) => c.get(0, B(k)));
      const settled = await Promise.allSettled(gets);
      assert.deepEqual(
        settled.map((x) => (x.status === 'fulfilled' ? x.value?.toString() : 'refused')),
        ['1', 'refused', '2', 'refused', '1'],
      );
      for (const x of settled)
        if (x.status === 'rejected') assert.ok(refusal(x.reason), String(x.reason));
      await assert.rejects(c.get(0, B('huge')), refusal);
      // A scan page stops before a large value, and holds it alone when it starts there.
      const page = await c.scan(0, B(''), 10);
      assert.deepEqual(
        page.entries.map(([k]) => k.toString()),
        ['a', 'b'],
      );
      assert.equal(page.next?.toString(), 'huge');
      await assert.rejects(c.scan(0, B('huge'), 10), refusal);
      // The connection was never cut: the engine answers on it.
      assert.equal((await c.get(0, B('b')))?.toString(), '2');
      assert.deepEqual((await c.scan(0, B('i'), 10)).entries.length, 0);
    } finally {
      await c.close();
    }
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
});

test('limits and conflicts come back as errors that say what to do', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    try {
      await assert.rejects(
        c.get(0, Buffer.alloc(c.maxKeyBytes + 1)),
        (e: unknown) =>
          e instanceof StorageError && e.code === 'limit' && /maximum key size/.test(e.message),
      );
      await assert.rejects(c.scan(0, B(''), 0), /scan limit must be/);
      await c.apply(0, [put('a', '1')], 10);
      await assert.rejects(
        c.apply(0, [put('a', '2')], 10),
        (e: unknown) => e instanceof StorageError && e.code === 'conflict',
      );
      assert.equal((await c.get(0, B('a')))?.toString(), '1');
      await assert.rejects(
        c.apply(0, [put('k'.repeat(c.maxKeyBytes + 1), '1')], 11),
        (e: unknown) =>
          e instanceof StorageError && e.code === 'limit' && /maximum key size/.test(e.message),
      );
      // The largest key the engine announces is one LMDB really stores.
      const longest = 'k'.repeat(c.maxKeyBytes);
      await c.apply(1, [put(longest, 'max')], 1);
      assert.equal((await c.get(1, B(longest)))?.toString(), 'max');
      const tooBig = Buffer.alloc(c.maxFrameBytes);
      await assert.rejects(c.apply(0, [put('big', tooBig.toString())], 0), /maximum frame size/);
      assert.equal((await c.stats(0)).appliedIndex, 10);
    } finally {
      await c.close();
    }
  });
});

test('raft persistence: append with hard state, load, truncate, compact, snapshot', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    try {
      const entries = Array.from({ length: 20 }, (_, i) => ({
        index: i + 1,
        data: Buffer.alloc(1000, i),
      }));
      await c.raftAppend(5, entries, B('hard-1'));
      await c.raftTruncate(5, 16);
      await c.raftCompact(5, 3);
      await c.raftSaveSnapshot(5, B('snapshot@3'));
      await assert.rejects(c.raftAppend(5, [{ index: 30, data: B('x') }], null), /gap/);
      const state = await c.raftLoad(5);
      assert.equal(state.hardState?.toString(), 'hard-1');
      assert.equal(state.snapshot?.toString(), 'snapshot@3');
      assert.equal(state.snapshotImage, false, 'a saved snapshot has no image of its own');
      assert.deepEqual(
        state.entries.map((e) => e.index),
        [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      );
      assert.deepEqual(state.entries[0]?.data, Buffer.alloc(1000, 3));
      const paged = await c.raftEntries(5, 4, 16, 2500);
      assert.deepEqual(
        paged.map((e) => e.index),
        [4, 5],
      );
      const empty = await c.raftLoad(6);
      assert.deepEqual(empty, {
        hardState: null,
        snapshot: null,
        snapshotImage: false,
        entries: [],
      });
    } finally {
      await c.close();
    }
  });
});

test("stats' diskBytes counts the Raft write-ahead log's segments as well as LMDB's file", async () => {
  await withEngine(async ({ socket }, dataDir) => {
    const c = await connectStorage(socket);
    try {
      await c.apply(0, [put('k', 'v')], 0);
      await c.raftAppend(5, [{ index: 1, data: Buffer.alloc(1000, 1) }], B('hard-1'));
      const stats = await c.stats(0);
      const walDir = join(dataDir, 'wal', '5');
      const segments = readdirSync(walDir).map((n) => statSync(join(walDir, n)).size);
      assert.equal(segments.length, 1, 'one segment, no next one prepared yet');
      assert.equal(segments[0], 16 * 1024 * 1024, 'preallocated: its zeros take disk too');
      const lmdb = statSync(join(dataDir, 'lmdb', 'data.mdb')).size;
      assert.equal(stats.diskBytes, lmdb + (segments[0] as number));
    } finally {
      await c.close();
    }
  });
});

/** How far a segment file is written: up to its last non-zero byte (the rest is preallocated zeros). */
function writtenPart(path: string): number {
  const buf = readFileSync(path);
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

test("stats' WAL counters count the Raft log's durable writes and their bytes, not LMDB commits", async () => {
  await withEngine(async ({ socket }, dataDir) => {
    const c = await connectStorage(socket);
    try {
      const before = await c.stats(0);
      assert.equal(before.walWrites, 0);
      assert.equal(before.walWrittenBytes, 0);
      await c.apply(0, [put('k', 'v')], 0);
      const applied = await c.stats(0);
      assert.equal(applied.walWrites, 0, 'an LMDB commit is not a log write');

      // A group's first append: its segment's head and the records, one write.
      await c.raftAppend(5, [{ index: 1, data: Buffer.alloc(1000, 1) }], B('hard-1'));
      const first = await c.stats(0);
      assert.equal(first.walWrites, 1);
      const segment = join(
        dataDir,
        'wal',
        '5',
        readdirSync(join(dataDir, 'wal', '5'))[0] as string,
      );
      assert.equal(first.walWrittenBytes, writtenPart(segment), 'every byte in the file, counted');

      await c.raftAppend(5, [{ index: 2, data: Buffer.alloc(500, 2) }], null);
      await c.raftTruncate(5, 2);
      const after = await c.stats(0);
      assert.equal(after.walWrites, 3, 'one write each');
      assert.equal(after.walWrittenBytes, writtenPart(segment));
    } finally {
      await c.close();
    }
  });
});

test('one append of records over the 1 MiB write cap is written in several writes', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    try {
      await c.raftAppend(5, [{ index: 1, data: B('first') }], null); // the segment and its head
      const before = await c.stats(0);
      // Two records, each under the cap, together over it: an entries record and a hard state.
      const data = Buffer.alloc(600 * 1024, 7);
      const hardState = Buffer.alloc(600 * 1024, 8);
      await c.raftAppend(5, [{ index: 2, data }], hardState);
      const after = await c.stats(0);
      const writes = (after.walWrites as number) - (before.walWrites as number);
      const bytes = (after.walWrittenBytes as number) - (before.walWrittenBytes as number);
      assert.ok(bytes > 1024 * 1024, `${bytes} bytes written`);
      assert.equal(writes, 2, `${bytes} bytes in ${writes} writes: split at 1 MiB`);
      assert.deepEqual((await c.raftEntries(5, 2, 3))[0]?.data, data);
    } finally {
      await c.close();
    }
  });
});

test('garbage on one connection gets an error frame and a close; another client keeps working', async () => {
  await withEngine(async ({ socket }) => {
    const good = await connectStorage(socket);
    try {
      // No hello: the first frame is refused and the connection closed.
      const noHello = await rawConnection(socket);
      noHello.sock.write(new FrameWriter(7, Op.get, 0).raw(B('k')).finish());
      assert.equal(errorOf(await noHello.next()).code, ErrorCode.helloRequired);
      await noHello.closed;

      // Random bytes: framing is lost.
      const junk = await rawConnection(socket);
      junk.sock.write(hello());
      assert.equal((await junk.next()).op, Op.hello);
      junk.sock.write(Buffer.from([0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef]));
      const lost = errorOf(await junk.next());
      assert.equal(lost.code, ErrorCode.badFrame);
      assert.match(lost.message, /framing lost/);
      await junk.closed;

      // An oversized frame: refused from its length, connection closed.
      const big = await rawConnection(socket);
      big.sock.write(hello());
      await big.next();
      big.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      assert.equal(errorOf(await big.next()).code, ErrorCode.frameTooLarge);
      await big.closed;

      // A well-framed but malformed request fails alone; the connection stays usable.
      const bad = await rawConnection(socket);
      bad.sock.write(hello());
      await bad.next();
      bad.sock.write(new FrameWriter(41, Op.apply, 0).u8(1).finish());
      bad.sock.write(new FrameWriter(42, 0x66, 0).finish());
      bad.sock.write(new FrameWriter(43, Op.get, 0).raw(B('nothing')).finish());
      const replies = [await bad.next(), await bad.next(), await bad.next()];
      const byId = new Map(replies.map((f) => [f.requestId, f]));
      assert.equal(errorOf(byId.get(41) as Frame).code, ErrorCode.badRequest);
      assert.equal(errorOf(byId.get(42) as Frame).code, ErrorCode.unknownOp);
      assert.equal(byId.get(43)?.op, Op.get);
      bad.sock.destroy();

      // A client of another protocol version is told so and closed.
      const old = await rawConnection(socket);
      old.sock.write(hello(PROTOCOL_VERSION + 1));
      const mismatch = errorOf(await old.next());
      assert.equal(mismatch.code, ErrorCode.versionMismatch);
      assert.match(mismatch.message, /version \d+ is not supported; this engine speaks version/);
      await old.closed;

      await good.apply(0, [put('still', 'working')], 0);
      assert.equal((await good.get(0, B('still')))?.toString(), 'working');
    } finally {
      await good.close();
    }
  });
});

test('socket: mode 0600, live socket and busy data dir refused, stale socket replaced, removed on SIGTERM', async () => {
  const dir = tempDir('distdb-storage-');
  const other = tempDir('distdb-storage-');
  let a: Engine | undefined;
  let b: Engine | undefined;
  try {
    a = await startEngine(dir.path);
    assert.equal(a.socket, join(dir.path, 'storage.sock'));
    assert.equal(statSync(a.socket).mode & 0o777, 0o600);

    const second = startDistdb(['storage', '--data-dir', other.path, '--socket', a.socket]);
    assert.equal(await second.exited, 2);
    assert.match(second.output(), /another process is serving .*storage\.sock/);

    const sameDir = startDistdb([
      'storage',
      '--data-dir',
      dir.path,
      '--socket',
      join(other.path, 'x.sock'),
    ]);
    assert.equal(await sameDir.exited, 2);
    assert.match(sameDir.output(), /data directory .* is in use by storage engine pid \d+/);

    a.proc.kill('SIGKILL');
    await a.proc.exited;
    assert.ok(existsSync(a.socket), 'kill -9 leaves the socket file behind');
    b = await startEngine(dir.path);
    const c = await connectStorage(b.socket);
    await c.apply(0, [put('k', 'v')], 0);
    await c.close();

    b.proc.kill('SIGTERM');
    assert.equal(await b.proc.exited, 0);
    assert.ok(!existsSync(b.socket), 'a clean stop removes the socket');
  } finally {
    await a?.proc.stop();
    await b?.proc.stop();
    dir.remove();
    other.remove();
  }
});

test('kill -9 right after the acks loses nothing acknowledged', async () => {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    engine = await startEngine(dir.path);
    const c = await connectStorage(engine.socket);
    const acked: string[] = [];
    let writes = 0;
    // Writers keep going; the engine is killed the moment 400 acks are in.
    const killAt = 400;
    await new Promise<void>((resolve) => {
      const writer = async (w: number): Promise<void> => {
        for (;;) {
          const key = `w${w}-${writes++}`;
          try {
            await c.apply(0, [put(key, `value-of-${key}`)], 0);
          } catch (e) {
            assert.ok(e instanceof StorageUnavailableError, String(e));
            return;
          }
          acked.push(key);
          if (acked.length === killAt) {
            engine?.proc.kill('SIGKILL');
            resolve();
          }
        }
      };
      for (let w = 0; w < 16; w++) void writer(w);
    });
    await engine.proc.exited;
    await c.closed;
    engine = await startEngine(dir.path);
    const c2 = await connectStorage(engine.socket);
    try {
      const values = await Promise.all(acked.map((k) => c2.get(0, B(k))));
      const missing = acked.filter((k, i) => values[i] === undefined || values[i] === null);
      assert.deepEqual(missing, []);
      acked.forEach((k, i) =>
        assert.equal(Buffer.from(values[i] as Uint8Array).toString(), `value-of-${k}`),
      );
      assert.ok((await c2.stats(0)).keys >= acked.length);
    } finally {
      await c2.close();
    }
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
});

test('a client learns that the engine died: pending requests reject, close listeners run', async () => {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    engine = await startEngine(dir.path);
    const c: StorageClient = await connectStorage(engine.socket);
    let closedWith: Error | null = null;
    c.onClose((e) => (closedWith = e));
    const inflight = Array.from({ length: 200 }, (_, i) =>
      c.apply(0, [put(`p${i}`, 'v')], 0).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    engine.proc.kill('SIGKILL');
    const outcomes = await Promise.all(inflight);
    for (const o of outcomes)
      assert.ok(o === 'ok' || o instanceof StorageUnavailableError, String(o));
    await c.closed;
    assert.ok(closedWith !== null && (closedWith as Error) instanceof StorageUnavailableError);
    await assert.rejects(c.get(0, B('p1')), StorageUnavailableError);
    await assert.rejects(
      connectStorage(engine.socket, { connectTimeoutMs: 1000 }),
      /cannot reach the storage engine/,
    );
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
});

test('state images larger than a frame stream over the socket: export, install, raft snapshot', async () => {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    // A 4 KiB frame: the 30 KB image below takes many frames each way.
    engine = await startEngine(dir.path, ['--max-frame-size', '4kb']);
    const c = await connectStorage(engine.socket);
    try {
      const pairs = Array.from({ length: 300 }, (_, i) => put(`k${i}`, 'v'.repeat(100)));
      for (let i = 0; i < 300; i += 20) await c.apply(0, pairs.slice(i, i + 20), i + 20);
      await c.raftAppend(9, [{ index: 1, data: B('old entry') }], null);
      const exp = await c.imageExportBegin(0);
      assert.deepEqual([exp.appliedIndex, exp.keys], [300, 300]);
      await c.apply(0, [put('k0', 'changed after the export began')], 301);
      const pieces: Buffer[] = [];
      for (let last = false; !last;) {
        const next = await c.imageExportChunk(0, exp.id, 1 << 20);
        assert.ok(next.chunk.length <= 2048, 'a chunk is at most half a frame');
        pieces.push(next.chunk);
        last = next.last;
      }
      const image = Buffer.concat(pieces);
      assert.ok(image.length > 30_000);
      await assert.rejects(c.imageExportChunk(0, exp.id, 100), /no image export/);

      await c.installImage(9, [image], B('head@300'));
      assert.equal(Buffer.from((await c.get(9, B('k0'))) ?? []).toString(), 'v'.repeat(100));
      assert.deepEqual([(await c.stats(9)).keys, (await c.stats(9)).appliedIndex], [300, 300]);
      const raft = await c.raftLoad(9);
      assert.deepEqual(raft.snapshot, B('head@300'));
      // An install stores the head alone: the state it installed is the image.
      assert.equal(raft.snapshotImage, false);
      assert.deepEqual(raft.entries, []);
      assert.deepEqual(await c.raftLoadSnapshot(9), B('head@300'));

      await c.raftSnapshotFromState(0, 301, B('head@301'), true);
      const stored = await c.raftLoadSnapshot(0);
      assert.ok(stored !== null && stored.length > 30_000);
      assert.equal(stored.subarray(0, 8).toString(), 'head@301');
      const head301 = await c.raftLoad(0);
      assert.deepEqual(head301.snapshot, B('head@301'), 'a raft load answers the head only');
      assert.equal(head301.snapshotImage, true, '…and says its image follows');
      // A compaction's snapshot is its head only, and drops the older image.
      await c.raftSnapshotFromState(0, 301, B('head-only@301'), false);
      assert.deepEqual(await c.raftLoadSnapshot(0), B('head-only@301'));
      assert.equal((await c.raftLoad(0)).snapshotImage, false);
      for (const image of [true, false]) {
        await assert.rejects(
          c.raftSnapshotFromState(0, 300, B('h'), image),
          (e: unknown) => e instanceof StorageError && e.code === 'conflict',
        );
      }

      await assert.rejects(
        c.installImage(9, [B('not an image at all')], null),
        (e: unknown) =>
          e instanceof StorageError && e.code === 'badRequest' && /state image/.test(e.message),
      );
      await assert.rejects(
        c.installImage(9, [image.subarray(0, image.length - 1)], null),
        (e: unknown) => e instanceof StorageError && /truncated/.test(e.message),
      );
      assert.equal((await c.stats(9)).keys, 300, 'a refused install changes nothing');
    } finally {
      await c.close();
    }
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
});

test("a begin on the connection holding a group's install ends that one; another connection is refused", async () => {
  await withEngine(async ({ socket }) => {
    const a = await connectStorage(socket);
    const b = await connectStorage(socket);
    try {
      await a.apply(0, [put('k', 'v')], 7);
      const exp = await a.imageExportBegin(0);
      const image = (await a.imageExportChunk(0, exp.id, 1 << 20)).chunk;
      const first = await a.imageInstallBegin(9);
      await a.imageInstallChunk(9, first, image.subarray(0, 5));
      await assert.rejects(
        b.imageInstallBegin(9),
        (e: unknown) => e instanceof StorageError && e.code === 'conflict',
      );
      // A follower's next snapshot, on the same connection: the first install ends.
      const second = await a.imageInstallBegin(9);
      await assert.rejects(a.imageInstallChunk(9, first, image.subarray(5)), /no image install/);
      await a.imageInstallChunk(9, second, image.subarray(0, 3));
      await a.imageInstallChunk(9, second, image.subarray(3));
      await a.imageInstallCommit(9, second, B('head@7'));
      assert.deepEqual([(await a.stats(9)).keys, (await a.stats(9)).appliedIndex], [1, 7]);
      assert.deepEqual((await a.raftLoad(9)).snapshot, B('head@7'));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

test('a raft snapshot from state with an image flag over 1 is refused alone: nothing stored, the connection serves on', async () => {
  await withEngine(async ({ socket }) => {
    const c = await connectStorage(socket);
    const raw = await rawConnection(socket);
    try {
      await c.apply(0, [put('k', 'v')], 1);
      await c.raftSnapshotFromState(0, 1, B('head@1'), true);
      const before = await c.raftLoadSnapshot(0);
      assert.ok(before !== null && before.length > 'head@1'.length, 'head and image stored');

      raw.sock.write(hello());
      assert.equal((await raw.next()).op, Op.hello);
      const fromState = (id: number, image: number, head: string): Buffer =>
        new FrameWriter(id, Op.raftSnapshotFromState, 0).u64(1).u8(image).raw(B(head)).finish();
      raw.sock.write(fromState(51, 2, 'head-flag-2'));
      const refused = await raw.next();
      assert.equal(refused.requestId, 51);
      const err = errorOf(refused);
      assert.equal(err.code, ErrorCode.badRequest);
      assert.match(err.message, /raft snapshot from state: image flag 2/);
      assert.deepEqual(await c.raftLoadSnapshot(0), before, 'the stored snapshot is unchanged');

      // A payload error fails that request alone (docs/storage.md): the same
      // connection then stores a well-formed one.
      raw.sock.write(fromState(52, 0, 'head-only@1'));
      const stored = await raw.next();
      assert.deepEqual([stored.requestId, stored.op], [52, Op.raftSnapshotFromState]);
      assert.deepEqual(await c.raftLoadSnapshot(0), B('head-only@1'));
    } finally {
      raw.sock.destroy();
      await c.close();
    }
  });
});

test('reading back a snapshot stored without its image asks for no piece', async () => {
  await withEngine(async (e, dataDir) => {
    const proxy = await StorageProxy.start(join(dataDir, 'proxy.sock'), e.socket);
    const c = await connectStorage(join(dataDir, 'proxy.sock'));
    try {
      await c.apply(0, [put('k', 'v')], 1);
      await c.raftSnapshotFromState(0, 1, B('head-only@1'), false);
      assert.deepEqual(await c.raftLoadSnapshot(0), B('head-only@1'));
      assert.equal(proxy.requests(Op.raftReadSnapshotChunk), 0);
      await c.raftSnapshotFromState(0, 1, B('head@1'), true);
      const whole = await c.raftLoadSnapshot(0);
      assert.ok(whole !== null && whole.length > 'head@1'.length, 'the head and its image');
      // Raft load said how many bytes follow: one range read, no read to learn it ended.
      assert.equal(proxy.requests(Op.raftReadSnapshotChunk), 1);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

test('image exports are bounded and end with their connection', async () => {
  await withEngine(async ({ socket }) => {
    const a = await connectStorage(socket);
    const b = await connectStorage(socket);
    try {
      await a.apply(0, [put('x', '1')], 1);
      const open = [];
      for (let i = 0; i < 16; i++) open.push(await a.imageExportBegin(0));
      await assert.rejects(
        b.imageExportBegin(0),
        (e: unknown) =>
          e instanceof StorageError && e.code === 'limit' && /16 image/.test(e.message),
      );
      // Another connection cannot use (or end) an export it did not begin.
      await assert.rejects(b.imageExportChunk(0, open[0]!.id, 100), /no image export/);
      await a.imageSessionEnd(0, open[0]!.id);
      const more = await b.imageExportBegin(0);
      await b.imageSessionEnd(0, more.id);
      await a.close();
      // Closing the connection releases its fifteen exports (once the engine sees the close).
      const again = [];
      for (let tries = 0; again.length < 16; tries++) {
        try {
          again.push(await b.imageExportBegin(0));
        } catch (err) {
          if (tries > 100 || !(err instanceof StorageError && err.code === 'limit')) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      assert.equal(again.length, 16);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/**
 * The request timeout of the clients of the two tests below, which stop the
 * engine (SIGSTOP) to see it expire. Every request of theirs is held to it,
 * also those before the stop and after the resume: an apply took over 300 ms
 * (the bound before) in an e2e ring beside a full npm test (load average 10).
 */
const STOPPED_TIMEOUT_MS = 2000;

test('a request the engine does not answer in time rejects with StorageTimeoutError', async () => {
  await withEngine(async ({ proc, socket }) => {
    const c = await connectStorage(socket, { requestTimeoutMs: STOPPED_TIMEOUT_MS });
    try {
      proc.kill('SIGSTOP');
      try {
        await assert.rejects(
          c.get(0, B('k')),
          (e: unknown) =>
            e instanceof StorageTimeoutError &&
            e.message.includes(`did not answer within ${STOPPED_TIMEOUT_MS} ms`),
        );
      } finally {
        proc.kill('SIGCONT');
      }
      assert.equal(await c.get(0, B('k')), null, 'the connection is still usable');
    } finally {
      await c.close();
    }
  });
});

test("an image install's commit waits past the request timeout; other requests still time out", async () => {
  await withEngine(async ({ proc, socket }) => {
    const c = await connectStorage(socket, { requestTimeoutMs: STOPPED_TIMEOUT_MS });
    try {
      await c.apply(0, [put('k', 'v')], 7);
      const exp = await c.imageExportBegin(0);
      const image = (await c.imageExportChunk(0, exp.id, 1 << 20)).chunk;
      const id = await c.imageInstallBegin(9);
      await c.imageInstallChunk(9, id, image);
      // A stopped engine stands for one busy writing a large image.
      proc.kill('SIGSTOP');
      let committed = false;
      let commit: Promise<void>;
      try {
        commit = c.imageInstallCommit(9, id, B('head@7')).then(() => {
          committed = true;
        });
        const outcome = await Promise.race([
          c.get(0, B('k')).then(
            () => 'answered',
            (e: unknown) => e,
          ),
          new Promise((r) => setTimeout(r, 3 * STOPPED_TIMEOUT_MS, 'still waiting')),
        ]);
        assert.ok(
          outcome instanceof StorageTimeoutError &&
            outcome.message.includes(`within ${STOPPED_TIMEOUT_MS} ms`),
          String(outcome),
        );
        // Sent with the GET, a timed commit would have expired with it, or
        // at a later sweep of the timeouts (every quarter of the timeout).
        await new Promise((r) => setTimeout(r, STOPPED_TIMEOUT_MS / 2));
        assert.equal(committed, false);
      } finally {
        proc.kill('SIGCONT');
      }
      await commit;
      assert.deepEqual((await c.raftLoad(9)).snapshot, B('head@7'));
      assert.equal((await c.stats(9)).keys, 1);
    } finally {
      await c.close();
    }
  });
});

test('a client that never reads its replies is throttled; others are unaffected', async () => {
  await withEngine(async ({ proc, socket }) => {
    const c = await connectStorage(socket);
    const hog = await rawConnection(socket);
    try {
      await c.apply(0, [put('big', 'x'.repeat(256 * 1024))], 0);
      hog.sock.write(hello());
      await hog.next();
      hog.sock.pause(); // never read again
      // 4,000 reads of a 256 KiB value: 1 GiB of replies it will not take.
      const req = Buffer.concat(
        Array.from({ length: 4000 }, (_, i) =>
          new FrameWriter(i + 1, Op.get, 0).raw(B('big')).finish(),
        ),
      );
      hog.sock.write(req);
      for (let i = 0; i < 20; i++) {
        await c.apply(0, [put(`other${i}`, 'v')], 0);
        assert.equal(Buffer.from((await c.get(0, B(`other${i}`))) ?? []).toString(), 'v');
      }
      // The engine holds a bounded amount for it (output limit + a few reads), not the gigabyte.
      const rssMiB =
        Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1]) / 1024;
      assert.ok(rssMiB < 200, `engine RSS ${rssMiB.toFixed(0)} MiB`);
    } finally {
      hog.sock.destroy();
      await c.close();
    }
  });
});

test('kill -9 while Raft appends and applies stream: every acknowledged append survives, and the state machine stays within the log', async () => {
  const dir = tempDir('distdb-storage-');
  let engine: Engine | undefined;
  try {
    engine = await startEngine(dir.path);
    const c = await connectStorage(engine.socket);
    let next = 1;
    let ackedThrough = 0;
    let killed = false;
    // Appends are pipelined (16 in flight, contiguous); each acknowledged one is applied.
    const killAt = 400;
    await new Promise<void>((resolve) => {
      const writer = async (): Promise<void> => {
        for (;;) {
          const index = next++;
          try {
            await c.raftAppend(0, [{ index, data: B(`entry-${index}`) }], B(`hs-${index}`));
            ackedThrough = Math.max(ackedThrough, index);
            void c.apply(0, [put(`k${index}`, 'v')], index).catch(() => undefined);
          } catch (e) {
            assert.ok(e instanceof StorageUnavailableError, String(e));
            return;
          }
          if (ackedThrough >= killAt && !killed) {
            killed = true;
            engine?.proc.kill('SIGKILL');
            resolve();
          }
        }
      };
      for (let w = 0; w < 16; w++) void writer();
    });
    await engine.proc.exited;
    await c.closed;
    engine = await startEngine(dir.path);
    const c2 = await connectStorage(engine.socket);
    try {
      const disk = await c2.raftLoad(0);
      const last = disk.entries[disk.entries.length - 1]?.index ?? 0;
      assert.ok(last >= ackedThrough, `log ends at ${last}, ${ackedThrough} were acknowledged`);
      disk.entries.forEach((e, i) => {
        assert.equal(e.index, i + 1);
        assert.equal(Buffer.from(e.data).toString(), `entry-${e.index}`);
      });
      const hs = Number(
        Buffer.from(disk.hardState as Uint8Array)
          .toString()
          .slice(3),
      );
      assert.ok(hs >= ackedThrough, `hard state ${hs} is older than what was acknowledged`);
      const applied = (await c2.stats(0)).appliedIndex;
      assert.ok(applied <= last, `applied index ${applied} is past the log's end ${last}`);
    } finally {
      await c2.close();
    }
  } finally {
    await engine?.proc.stop();
    dir.remove();
  }
});
