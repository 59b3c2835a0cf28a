// Which followers hold a leader's compactions (catch-up-watch.ts): one being
// sent a snapshot, silent or not; one that lacks entries and answered within
// the last check-quorum round, even right after recentActive was cleared; one
// silent after its transfer (installing) for a while; never one gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatchUpWatch } from '../../src/coordinator/replication/catch-up-watch.js';
import type { ProgressStatus } from '../../src/raft/types.js';

const ROUND = 1000;
const INSTALL = 10_000;
const SUBMITTED = 500;

const pr = (
  state: ProgressStatus['state'],
  next: number,
  recentActive: boolean,
): ProgressStatus => ({
  match: next - 1,
  next,
  state,
  recentActive,
  inflight: 0,
});
const caughtUp = pr('replicate', SUBMITTED + 1, true);

function watch(): CatchUpWatch {
  return new CatchUpWatch('n1', ROUND, INSTALL);
}

test('a follower being sent a snapshot holds compactions, even when it seems silent', () => {
  const w = watch();
  const progress = { n1: caughtUp, n2: caughtUp, n3: pr('snapshot', 10, false) };
  assert.equal(w.catchingUp(progress, SUBMITTED, 0), true);
  assert.equal(w.catchingUp({ n1: caughtUp, n2: caughtUp, n3: caughtUp }, SUBMITTED, 0), false);
});

test('a follower lacking entries holds them while it answered within the last round', () => {
  const w = watch();
  w.observe({ n1: caughtUp, n2: caughtUp, n3: pr('probe', 10, true) }, 0);
  // recentActive cleared by a check-quorum round: it answered 600 ms ago.
  const cleared = { n1: caughtUp, n2: caughtUp, n3: pr('probe', 10, false) };
  assert.equal(w.catchingUp(cleared, SUBMITTED, 600), true);
  // Nothing from it for longer than a round: gone.
  w.observe(cleared, 1100);
  assert.equal(w.catchingUp(cleared, SUBMITTED, 1100), false);
  // A follower never heard from holds nothing.
  assert.equal(watch().catchingUp(cleared, SUBMITTED, 0), false);
});

test('a follower silent after its transfer (installing it) holds them for the install time', () => {
  const w = watch();
  w.observe({ n1: caughtUp, n2: caughtUp, n3: pr('snapshot', 10, true) }, 0);
  // Raft gave the transfer up after an election timeout without an answer: probe again.
  const silent = { n1: caughtUp, n2: caughtUp, n3: pr('probe', 10, false) };
  w.observe(silent, 5000);
  assert.equal(w.catchingUp(silent, SUBMITTED, 5000), true);
  assert.equal(w.catchingUp(silent, SUBMITTED, INSTALL + 1), false);
});
