// The nemesis schedule: reproducible from its seed, one fault at a time,
// every fault healed before the end, durations and gaps within their bounds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFaults } from './nemesis.js';

test('the same seed gives the same plan; other seeds give other plans', () => {
  const a = planFaults({ seed: 7, totalMs: 60_000 });
  assert.deepEqual(planFaults({ seed: 7, totalMs: 60_000 }), a);
  assert.notDeepEqual(planFaults({ seed: 8, totalMs: 60_000 }), a);
});

test('faults never overlap, keep their bounds and are healed by the end', () => {
  for (let seed = 0; seed < 200; seed++) {
    const opts = {
      seed,
      totalMs: 30_000 + seed * 100,
      minFaultMs: 500,
      maxFaultMs: 3000,
      minGapMs: 200,
      maxGapMs: 2000,
    };
    const plan = planFaults(opts);
    assert.ok(plan.length > 0, `seed ${seed}: no faults`);
    let end = 0;
    for (const f of plan) {
      assert.ok(f.atMs - end >= opts.minGapMs && f.atMs - end <= opts.maxGapMs, `gap ${seed}`);
      assert.ok(f.durationMs >= opts.minFaultMs && f.durationMs <= opts.maxFaultMs);
      end = f.atMs + f.durationMs;
      assert.ok(end <= opts.totalMs, `seed ${seed}: a fault outlasts the run`);
    }
  }
});

test('only the allowed kinds are planned, and over many seeds each of them is', () => {
  const seen = new Set<string>();
  for (let seed = 0; seed < 50; seed++) {
    for (const f of planFaults({ seed, totalMs: 60_000, kinds: ['kill', 'pause'] })) {
      seen.add(f.kind);
      seen.add(f.target);
    }
  }
  assert.deepEqual([...seen].sort(), ['any', 'kill', 'leader', 'pause']);
  assert.deepEqual(planFaults({ seed: 1, totalMs: 60_000, kinds: [] }), []);
  assert.throws(() => planFaults({ seed: 1, totalMs: 1000, minFaultMs: 5, maxFaultMs: 1 }));
});
