import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../bench/histogram.js';

test('percentiles of a uniform spread are within 1% of the exact ones', () => {
  const h = new LatencyHistogram();
  const samples: number[] = [];
  for (let i = 1; i <= 100_000; i++) {
    const ms = i / 1000; // 1 µs .. 100 ms
    samples.push(ms);
    h.record(ms);
  }
  for (const p of [50, 90, 99, 99.9]) {
    const exact = samples[Math.ceil((p / 100) * samples.length) - 1] as number;
    const got = h.percentile(p);
    assert.ok(Math.abs(got - exact) / exact < 0.01, `p${p}: got ${got}, exact ${exact}`);
  }
  assert.equal(h.count, 100_000);
  assert.equal(h.maxMs, 100);
  assert.ok(Math.abs(h.meanMs - 50.0005) < 0.001);
});

test('small values are exact and the tail is not lost', () => {
  const h = new LatencyHistogram();
  for (let i = 0; i < 999; i++) h.record(0.05);
  h.record(2500);
  assert.equal(h.percentile(50), 0.05);
  assert.equal(h.percentile(99.9), 0.05);
  assert.ok(Math.abs(h.percentile(100) - 2500) / 2500 < 0.01);
  assert.equal(h.maxMs, 2500);
  assert.equal(new LatencyHistogram().percentile(99), 0);
});
