import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StagedWrites, keyHash } from '../../src/storage/staged-writes.js';

// A write: key (from a small set, so keys repeat), and a value or null (a delete).
const write = fc.record({
  key: fc.integer({ min: 0, max: 40 }),
  value: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null, freq: 4 }),
});

function keyOf(n: number): Buffer {
  // Keys of one length differ in their first byte or their last; some are
  // another's prefix (n >= 35 drops the last byte).
  const bytes = [n % 7, ...Buffer.from('x'.repeat(n % 3)), Math.floor(n / 7)];
  return Buffer.from(n >= 35 ? bytes.slice(0, -1) : bytes);
}

/** Checks `t` holds exactly the latest write of each key in `model`. */
function assertSame(
  t: StagedWrites,
  model: Map<string, Uint8Array | null>,
  hashOf: (k: Buffer) => number,
): void {
  assert.equal(t.size, model.size);
  for (const [k, v] of model) {
    const key = Buffer.from(k, 'latin1');
    const rec = t.find(key, hashOf(key));
    assert.ok(rec >= 0, `key ${k} is staged`);
    assert.equal(t.deletes(rec), v === null);
    assert.deepEqual(t.value(rec), v === null ? null : Buffer.from(v));
  }
  const seen = new Map<string, Buffer | null>();
  t.forEach((key, value) => {
    assert.ok(!seen.has(key.toString('latin1')), 'each key once');
    seen.set(key.toString('latin1'), value === null ? null : Buffer.from(value));
  });
  assert.deepEqual(
    seen,
    new Map([...model].map(([k, v]) => [k, v === null ? null : Buffer.from(v)])),
  );
}

for (const [name, hashOf] of [
  ['FNV-1a', keyHash],
  // Every key in one probe chain: finds must compare keys, not trust hashes.
  ['one hash for every key', () => 7],
] as const) {
  test(`staged writes hold the latest write of each key, as a Map would (${name})`, () => {
    fc.assert(
      fc.property(fc.array(write, { minLength: 20, maxLength: 300, size: 'max' }), (writes) => {
        const t = new StagedWrites();
        const model = new Map<string, Uint8Array | null>();
        let bytes = 0;
        for (const w of writes) {
          const key = keyOf(w.key);
          t.set(key, hashOf(key), w.value);
          model.set(key.toString('latin1'), w.value);
          assert.ok(t.bytes >= bytes, 'the bytes held never shrink');
          bytes = t.bytes;
        }
        assertSame(t, model, hashOf);
      }),
    );
  });
}

test('staged writes: an overwrite that fits reuses its record; a value handed out never changes', () => {
  const t = new StagedWrites();
  const key = Buffer.from('key');
  const h = keyHash(key);
  t.set(key, h, Buffer.from('aaaa'));
  const held = t.bytes;
  const before = t.value(t.find(key, h));
  t.set(key, h, Buffer.from('bb'));
  t.set(key, h, null);
  t.set(key, h, Buffer.from('cccc'));
  assert.equal(t.bytes, held, 'values that fit the record hold no more bytes');
  assert.deepEqual(before, Buffer.from('aaaa'), 'a value read earlier is a copy');
  t.set(key, h, Buffer.from('dddddddd'));
  assert.equal(t.bytes, held + key.length + 8, 'a larger value gets a new record');
  assert.deepEqual(t.value(t.find(key, h)), Buffer.from('dddddddd'));
  assert.equal(t.size, 1);
});

test('staged writes: thousands of keys, and values of a chunk or more between small ones', () => {
  const t = new StagedWrites();
  const big = Buffer.alloc(3 << 20, 0x5a);
  const quarter = Buffer.alloc((1 << 18) + 1, 0x33); // over a quarter of a chunk
  const valueOf = (i: number): Buffer =>
    i % 5000 === 0 ? big : i % 5000 === 1 ? quarter : Buffer.from(`value:${i}`);
  for (let i = 0; i < 20_000; i++) {
    const key = Buffer.from(`key:${i}`);
    t.set(key, keyHash(key), valueOf(i));
  }
  assert.equal(t.size, 20_000);
  for (let i = 0; i < 20_000; i++) {
    const key = Buffer.from(`key:${i}`);
    assert.ok(t.value(t.find(key, keyHash(key)))!.equals(valueOf(i)), `key:${i}`);
  }
  assert.equal(t.find(Buffer.from('key:20000'), keyHash(Buffer.from('key:20000'))), -1);
});
