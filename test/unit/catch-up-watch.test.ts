// Which followers hold a leader's compactions (catch-up-watch.ts): one
// making progress catching up — its transfer's acknowledged bytes or its
// match index rising, an image taken for it, or saying it installs the
// snapshot — however long it takes; never one that stalled, nor one gone;
// and none past the limit on the held log's bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CatchUpWatch,
  HELD_ENTRY_OVERHEAD_BYTES,
} from '../../src/coordinator/replication/catch-up-watch.js';
import type { ProgressStatus } from '../../src/raft/types.js';

const ROUND = 1000;
const STALL = 10_000;
const LIMIT = 1_000_000;
const SUBMITTED = 500;

const pr = (
  state: ProgressStatus['state'],
  next: number,
  recentActive: boolean,
  snapshotAcked = 0,
): ProgressStatus => ({
  match: next - 1,
  next,
  state,
  recentActive,
  inflight: 0,
  snapshotAcked,
});
const caughtUp = pr('replicate', SUBMITTED + 1, true);
const others = { n1: caughtUp, n2: caughtUp };

function watch(): CatchUpWatch {
  return new CatchUpWatch('n1', ROUND, STALL, LIMIT);
}

/** Ticks every ROUND ms from `from` to `to`, n3 in the state `at(t)` gives. */
function run(w: CatchUpWatch, from: number, to: number, at: (t: number) => ProgressStatus): void {
  for (let t = from; t <= to; t += ROUND) w.observe({ ...others, n3: at(t) }, t);
}

test('a transfer that advances holds compactions however long it takes; one that stops advancing, for STALL', () => {
  const w = watch();
  // One MiB acknowledged every 2 s for 100 s: ten times the stall time, any old bound.
  run(w, 0, 100_000, (t) => pr('snapshot', 10, t % 2000 === 0, Math.floor(t / 2000) * 2 ** 20));
  const at100 = pr('snapshot', 10, false, 50 * 2 ** 20);
  assert.deepEqual(w.holders({ ...others, n3: at100 }, SUBMITTED, 100_000), ['n3']);
  // It answers heartbeats (Raft keeps the transfer) but acknowledges no chunk.
  run(w, 101_000, 120_000, () => pr('snapshot', 10, true, 50 * 2 ** 20));
  assert.deepEqual(w.holders({ ...others, n3: at100 }, SUBMITTED, 109_000), ['n3']);
  assert.deepEqual(w.holders({ ...others, n3: at100 }, SUBMITTED, 110_000), []);
  assert.deepEqual(w.holders(others, SUBMITTED, 0), [], 'nobody catching up');
});

test('a follower lacking entries holds them while its match rises and it answered within the last round', () => {
  const w = watch();
  // Catching up from the log slower than the writes for 100 s: match rises, never reaches.
  run(w, 0, 100_000, (t) => pr('replicate', 10 + t / ROUND, true));
  const cleared = pr('replicate', 110, false); // recentActive cleared by a check-quorum round
  assert.deepEqual(w.holders({ ...others, n3: cleared }, SUBMITTED, 100_600), ['n3']);
  // Gone: nothing from it for longer than a round.
  w.observe({ ...others, n3: cleared }, 101_100);
  assert.deepEqual(w.holders({ ...others, n3: cleared }, SUBMITTED, 101_100), []);
  // Answering heartbeats, its match stuck: stalled after STALL.
  const v = watch();
  run(v, 0, 5000, (t) => pr('probe', 10 + t / 100, true));
  run(v, 6000, 20_000, () => pr('probe', 60, true));
  assert.deepEqual(v.holders({ ...others, n3: pr('probe', 60, true) }, SUBMITTED, 14_000), ['n3']);
  assert.deepEqual(v.holders({ ...others, n3: pr('probe', 60, true) }, SUBMITTED, 15_000), []);
  // A follower never heard from holds nothing.
  assert.deepEqual(watch().holders({ ...others, n3: cleared }, SUBMITTED, 0), []);
});

test('a follower silent after its transfer holds them while it says it installs, however long', () => {
  const w = watch();
  w.observe({ ...others, n3: pr('snapshot', 10, true, 2 ** 20) }, 0);
  // Raft gave the transfer up after an election timeout without an answer: probe again.
  const silent = pr('probe', 10, false);
  for (let t = 1000; t <= 60_000; t += ROUND) {
    w.followerInstalling('n3', t);
    w.observe({ ...others, n3: silent }, t);
  }
  assert.deepEqual(w.holders({ ...others, n3: silent }, SUBMITTED, 60_500), ['n3']);
  // It died: it says nothing more.
  run(w, 61_000, 80_000, () => silent);
  assert.deepEqual(w.holders({ ...others, n3: silent }, SUBMITTED, 69_000), ['n3']);
  assert.deepEqual(w.holders({ ...others, n3: silent }, SUBMITTED, 70_000), []);
  // Without a word from it, the transfer's end holds them STALL, as long as an install may be silent.
  const v = watch();
  v.observe({ ...others, n3: pr('snapshot', 10, true, 2 ** 20) }, 0);
  run(v, 1000, 20_000, () => silent);
  assert.deepEqual(v.holders({ ...others, n3: silent }, SUBMITTED, STALL - 1), ['n3']);
  assert.deepEqual(v.holders({ ...others, n3: silent }, SUBMITTED, STALL), []);
});

test('an image taken or offered for a follower is progress: it may have waited long for it', () => {
  const w = watch();
  // It answers, lacking entries, while the leader's engine copies a large image for 30 s.
  run(w, 0, 30_000, () => pr('probe', 10, true));
  assert.deepEqual(w.holders({ ...others, n3: pr('probe', 10, true) }, SUBMITTED, 30_000), []);
  w.snapshotPrepared(30_000);
  assert.deepEqual(w.holders({ ...others, n3: pr('probe', 10, true) }, SUBMITTED, 39_000), ['n3']);
  // Not a follower that is gone.
  const gone = pr('probe', 10, false);
  run(w, 31_000, 39_000, () => gone);
  assert.deepEqual(w.holders({ ...others, n3: gone }, SUBMITTED, 39_000), []);
});

test('a due compaction waits for a follower making progress until the held log reaches the limit', () => {
  const w = watch();
  const sending = { ...others, n3: pr('snapshot', 10, true, 2 ** 20) };
  w.observe(sending, 0);
  const under = w.decide(sending, SUBMITTED, 1000, LIMIT - 1000 * HELD_ENTRY_OVERHEAD_BYTES - 1, 0);
  assert.deepEqual(under, {
    hold: true,
    holders: ['n3'],
    heldBytes: LIMIT - 1,
    overLimit: false,
  });
  const at = w.decide(sending, SUBMITTED, 1000, LIMIT - 1000 * HELD_ENTRY_OVERHEAD_BYTES, 0);
  assert.equal(at.hold, false);
  assert.equal(at.overLimit, true);
  // Entries count towards the limit, tiny as they are: 5,000 of 0 bytes = LIMIT.
  assert.equal(w.decide(sending, SUBMITTED, LIMIT / HELD_ENTRY_OVERHEAD_BYTES, 0, 0).hold, false);
  // Nobody catching up: taken, and not over any limit.
  const none = w.decide(others, SUBMITTED, 10 ** 9, 10 ** 12, 0);
  assert.deepEqual(none, { hold: false, holders: [], heldBytes: none.heldBytes, overLimit: false });
});
