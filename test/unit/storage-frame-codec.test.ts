import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  FrameDecoder,
  FrameError,
  FrameWriter,
  PayloadError,
  PayloadReader,
  type Frame,
} from '../../src/storage/frame-codec.js';
import { HEADER_BYTES, Op } from '../../src/storage/protocol.js';
import { readStatsReply, writeStatsReply } from '../../src/storage/stats-reply.js';

const MAX = 1 << 20;

function frame(id: number, op: number, group: number, payload: Buffer): Buffer {
  return new FrameWriter(id, op, group, 1).raw(payload).finish();
}

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const c of chunks) decoder.push(c, (f) => out.push(f));
  return out;
}

test('a frame round-trips: id, op, group and payload', () => {
  const buf = frame(0xfffffffe, Op.apply, 0xffffffff, Buffer.from('hello'));
  assert.equal(buf.readUInt32BE(0), HEADER_BYTES + 5);
  const [f] = decodeAll(new FrameDecoder(MAX), [buf]);
  assert.ok(f);
  assert.equal(f.requestId, 0xfffffffe);
  assert.equal(f.op, Op.apply);
  assert.equal(f.group, 0xffffffff);
  assert.equal(f.payload.toString(), 'hello');
});

test('frames split at every byte and concatenated decode to the same frames', () => {
  const frames = [
    frame(1, Op.get, 0, Buffer.from('a')),
    frame(2, Op.scan, 7, Buffer.alloc(0)),
    frame(3, Op.apply, 1, Buffer.alloc(3000, 7)),
  ];
  const all = Buffer.concat(frames);
  for (let cut = 0; cut <= all.length; cut++) {
    const got = decodeAll(new FrameDecoder(MAX), [all.subarray(0, cut), all.subarray(cut)]);
    assert.deepEqual(
      got.map((f) => [f.requestId, f.op, f.group, f.payload.length]),
      [
        [1, Op.get, 0, 1],
        [2, Op.scan, 7, 0],
        [3, Op.apply, 1, 3000],
      ],
      `cut at ${cut}`,
    );
  }
  const oneByOne = decodeAll(
    new FrameDecoder(MAX),
    [...all].map((b) => Buffer.from([b])),
  );
  assert.equal(oneByOne.length, 3);
  assert.deepEqual(oneByOne[2]?.payload, Buffer.alloc(3000, 7));
});

test('an oversized frame is refused from its length alone, and the decoder stays failed', () => {
  const d = new FrameDecoder(100);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(101);
  assert.throws(
    () => d.push(head, () => assert.fail('no frame expected')),
    (e: unknown) => e instanceof FrameError && e.kind === 'too-large' && /maximum/.test(e.message),
  );
  assert.throws(() => d.push(frame(1, Op.get, 0, Buffer.alloc(0)), () => undefined), FrameError);
});

test('a frame shorter than its header is refused as lost framing', () => {
  const d = new FrameDecoder(MAX);
  const bad = Buffer.from([0, 0, 0, 3, 1, 2, 3]);
  assert.throws(
    () => d.push(bad, () => undefined),
    (e: unknown) => e instanceof FrameError && e.kind === 'too-short',
  );
});

test('frames before a bad length are still delivered', () => {
  const d = new FrameDecoder(MAX);
  const got: Frame[] = [];
  const input = Buffer.concat([frame(9, Op.stats, 0, Buffer.alloc(0)), Buffer.from([0, 0, 0, 0])]);
  assert.throws(() => d.push(input, (f) => got.push(f)), FrameError);
  assert.deepEqual(
    got.map((f) => f.requestId),
    [9],
  );
});

test('payload reader: fields round-trip and every bound is checked', () => {
  const buf = new FrameWriter(1, Op.apply, 0, 1)
    .u8(200)
    .u16(65000)
    .u32(4e9)
    .u64(2 ** 53 - 1)
    .bytes(Buffer.from('xyz'))
    .nullableBytes(null)
    .nullableBytes(Buffer.from('q'))
    .raw(Buffer.from('tail'))
    .finish();
  const [f] = decodeAll(new FrameDecoder(MAX), [buf]);
  assert.ok(f);
  const r = new PayloadReader(f.payload);
  assert.equal(r.u8(), 200);
  assert.equal(r.u16(), 65000);
  assert.equal(r.u32(), 4e9);
  assert.equal(r.u64(), 2 ** 53 - 1);
  assert.equal(r.bytes().toString(), 'xyz');
  assert.equal(r.nullableBytes(), null);
  assert.equal(r.nullableBytes()?.toString(), 'q');
  assert.equal(r.rest().toString(), 'tail');
  r.end();
  assert.throws(() => r.u8(), PayloadError);
  assert.throws(() => new PayloadReader(Buffer.from([0, 0, 0, 9, 1])).bytes(), /truncated/);
  assert.throws(() => new PayloadReader(Buffer.alloc(8, 0xff)).u64(), /2\^53/);
  assert.throws(() => new PayloadReader(Buffer.from([2])).nullableBytes(), /presence/);
  assert.throws(() => new PayloadReader(Buffer.from([1, 2])).end(), /unexpected bytes/);
});

test('reserve: room written in place survives the frame growing; skipBytes reads past a field without a view', () => {
  const w = new FrameWriter(7, Op.apply, 3, 1); // a 1-byte hint: reserving grows the buffer
  const field = (i: number): Buffer => Buffer.alloc(64 + i, i);
  for (let i = 0; i < 50; i++) {
    const at = w.u32(64 + i).reserve(64 + i);
    field(i).copy(w.target, at);
  }
  const frames: Frame[] = [];
  new FrameDecoder(MAX).push(w.finish(), (f) => frames.push(f));
  const payload = (frames[0] as Frame).payload;
  const r = new PayloadReader(payload);
  for (let i = 0; i < 50; i++) {
    const at = r.skipBytes();
    assert.equal(r.offset, at + 64 + i);
    assert.deepEqual(payload.subarray(at, r.offset), field(i));
  }
  r.end();
  assert.throws(() => new PayloadReader(Buffer.from([0, 0, 0, 9, 1])).skipBytes(), PayloadError);
});

test('stats reply: every field round-trips; a reply without the WAL counters reads them as absent', () => {
  const payload = (w: FrameWriter): Buffer => {
    const [f] = decodeAll(new FrameDecoder(MAX), [w.finish()]);
    return (f as Frame).payload;
  };
  const counters = { commits: 4, committedWrites: 40, walWrites: 7, walWrittenBytes: 2 ** 40 };
  const full = payload(
    writeStatsReply(
      new FrameWriter(1, Op.stats, 0),
      { keys: 5, diskBytes: 2 ** 33, appliedIndex: 9 },
      counters,
    ),
  );
  assert.equal(full.length, 56);
  assert.deepEqual(readStatsReply(new PayloadReader(full)), {
    keys: 5,
    diskBytes: 2 ** 33,
    appliedIndex: 9,
    ...counters,
  });
  // An engine from before the WAL counters: five fields.
  const old = new FrameWriter(1, Op.stats, 0).u64(5).u64(100).u64(9).u64(4).u64(40);
  assert.deepEqual(readStatsReply(new PayloadReader(payload(old))), {
    keys: 5,
    diskBytes: 100,
    appliedIndex: 9,
    commits: 4,
    committedWrites: 40,
  });
  assert.throws(() => readStatsReply(new PayloadReader(full.subarray(0, 48))), PayloadError);
  assert.throws(
    () => readStatsReply(new PayloadReader(Buffer.concat([full, Buffer.alloc(1)]))),
    /unexpected bytes/,
  );
});

test('property: random bytes, split anywhere, only ever raise FrameError', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
      fc.integer({ min: HEADER_BYTES, max: 4096 }),
      (chunks, max) => {
        const d = new FrameDecoder(max);
        try {
          for (const c of chunks) {
            d.push(Buffer.from(c), (f) => {
              assert.ok(f.payload.length + HEADER_BYTES <= max);
            });
          }
        } catch (e) {
          if (!(e instanceof FrameError)) throw e;
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: any sequence of frames survives any chunking', () => {
  const frameArb = fc.record({
    id: fc.integer({ min: 0, max: 0xffffffff }),
    op: fc.integer({ min: 0, max: 255 }),
    group: fc.integer({ min: 0, max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 300 }),
  });
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      (frames, sizes) => {
        const all = Buffer.concat(
          frames.map((f) => frame(f.id, f.op, f.group, Buffer.from(f.payload))),
        );
        const d = new FrameDecoder(MAX);
        const got: Frame[] = [];
        for (let off = 0, i = 0; off < all.length; i++) {
          const n = sizes[i % sizes.length] as number;
          d.push(all.subarray(off, off + n), (f) => got.push(f));
          off += n;
        }
        assert.deepEqual(
          got.map((f) => [f.requestId, f.op, f.group, [...f.payload]]),
          frames.map((f) => [f.id, f.op, f.group, [...f.payload]]),
        );
        assert.equal(d.buffered, 0);
      },
    ),
    { numRuns: 500 },
  );
});
