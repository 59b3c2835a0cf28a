// The simulator must be able to say no: with a deliberately broken node,
// state machine or coordinator, runs must FAIL, and fail on the property
// that the bug breaks. (A checker that never fails proves nothing.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimBugs } from '../../src/sim/bugs.js';
import { planRun } from '../../src/sim/seed-plan.js';
import { runSimulation, type SimResult } from '../../src/sim/simulation.js';
import { describeFailure, runSeeds } from '../../src/sim/soak.js';

/** Runs seeds until one fails (at most `limit`); returns the failing result. */
function firstFailure(bugs: SimBugs, mix: string, limit = 40): SimResult | undefined {
  for (let seed = 1; seed <= limit; seed++) {
    const r = runSimulation({ ...planRun(seed, { steps: 2000, mix }), bugs });
    if (r.failure) return r;
  }
  return undefined;
}

test('a state machine that drops writes on one node breaks "applied state"', () => {
  const r = firstFailure({ dropWritesOn: 'n1' }, 'calm');
  assert.equal(r?.failure?.property, 'applied state');
});

test('leaders that ignore the commit rule are caught by the safety checks', () => {
  const r = firstFailure({ inflateCommit: true }, 'partitions');
  assert.ok(r?.failure, 'no run failed');
  assert.match(
    r.failure.property,
    /leader completeness|state machine safety|applied state|log matching|core invariant/,
  );
});

test('a disk that forgets the vote lets a restarted node vote twice: two leaders in a term', () => {
  const r = firstFailure({ forgetVote: true }, 'crashes', 120);
  assert.ok(r?.failure, 'no run failed');
  assert.match(r.failure.property, /election safety|log matching|leader completeness/);
});

test('acknowledging writes before they commit loses acknowledged writes', () => {
  const r = firstFailure({ ackOnPropose: true }, 'crashes');
  assert.ok(r?.failure, 'no run failed');
  assert.match(r.failure.property, /durability|linearizability/);
});

test('reads served from local state, without ReadIndex, are not linearizable', () => {
  const r = firstFailure({ localReads: true }, 'partitions');
  assert.equal(r?.failure?.property, 'linearizability');
  assert.match(r.failure.detail, /not linearizable/);
});

test('acknowledging snapshot chunks before staging them is caught', () => {
  const r = firstFailure({ ackSnapshotEarly: true }, 'partitions');
  assert.equal(r?.failure?.property, 'snapshot-ack');
});

test('the same bug-free seeds pass, so the failures above come from the bugs', () => {
  for (const mix of ['calm', 'partitions', 'crashes']) {
    for (let seed = 1; seed <= 3; seed++) {
      const r = runSimulation(planRun(seed, { steps: 2000, mix }));
      assert.equal(r.failure, null, `${mix} seed ${seed}: ${r.failure?.detail ?? ''}`);
    }
  }
});

test('a failure names its seed, property and replay command, and the replay fails the same way', () => {
  const { failures } = runSeeds(1, 5, { steps: 2000, mix: 'calm' }, () => {}, {
    dropWritesOn: 'n2',
  });
  const first = failures[0];
  assert.ok(first, 'no run failed');
  const text = describeFailure(first);
  assert.match(text, /FAILED seed \d+: applied state/);
  assert.match(
    text,
    /replay: npm run sim -- --seed \d+ --steps 2000 --nodes [35] --mix calm --reads (safe|lease) --early-send (on|off) --compact-every \d+ --lazy-snapshots (on|off)/,
  );
  const again = runSimulation({
    ...planRun(first.result.seed, { steps: 2000, mix: 'calm' }),
    bugs: { dropWritesOn: 'n2' },
  });
  assert.deepEqual(again.failure, first.result.failure);
});
