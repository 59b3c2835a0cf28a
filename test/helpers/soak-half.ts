// One half of the npm test simulation budget: soak-seeds-1-300 and
// soak-seeds-301-600 each register one, so node --test runs the halves in
// parallel. Seeds pick their fault mix and cluster size (see
// src/sim/seed-plan.ts), so each half covers every mix with 3 and 5 nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_MIXES } from '../../src/sim/fault-mixes.js';
import { describeFailure, soakWithCoverage } from '../../src/sim/soak.js';

export function soakHalf(first: number, count: number): void {
  const last = first + count - 1;
  test(`seeds ${first}..${last} × 2000 steps: safe, durable, linearizable under every fault mix`, (t) => {
    const { summary, coverage } = soakWithCoverage(first, count, { steps: 2000 });
    t.diagnostic(`${summary.seeds} seeds, ${summary.events} events: ${JSON.stringify(coverage)}`);
    assert.equal(summary.failures.length, 0, summary.failures.map(describeFailure).join('\n'));
    for (const m of FAULT_MIXES) assert.ok((coverage.runsByMix[m.name] ?? 0) >= 25, m.name);
    assert.ok((coverage.runsByNodes[3] ?? 0) >= 100 && (coverage.runsByNodes[5] ?? 0) >= 100);
    assert.ok(coverage.partitions > 0 && coverage.crashes > 0 && coverage.confChanges > 0);
    assert.ok(coverage.snapshots > 0, 'no follower ever installed a snapshot');
    assert.ok(coverage.chunksRead > 0, 'no leader ever read a snapshot chunk lazily');
    assert.ok(coverage.chunkReadsRefused > 0, 'no chunk read was ever refused (snapshot moved)');
    // Without faults, the first leader keeps its leadership.
    assert.equal(coverage.calmMaxLeaderTerms, 1);
  });
}
