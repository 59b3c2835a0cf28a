// Which followers a leader sends its entries lazily (lazy-followers.ts):
// those a quorum does not need, once they keep up; never a follower whose
// clients read, nor any when too few keep up; a partner that falls behind is
// replaced at the next tick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LazyFollowers, READER_MS } from '../../src/coordinator/replication/lazy-followers.js';
import type { NodeId, ProgressStatus, RaftStatus } from '../../src/raft/types.js';

const pr = (match: number, state: ProgressStatus['state'] = 'replicate'): ProgressStatus => ({
  match,
  next: match + 1,
  state,
  recentActive: true,
  inflight: 0,
  snapshotAcked: 0,
});

function status(
  lastIndex: number,
  progress: Record<NodeId, ProgressStatus>,
  voters = Object.keys(progress),
  learners: NodeId[] = [],
): RaftStatus {
  return {
    id: 'n1',
    group: 0,
    role: 'leader',
    leader: 'n1',
    term: 2,
    vote: 'n1',
    commit: lastIndex,
    applied: lastIndex,
    lastIndex,
    conf: { voters, learners },
    progress,
    leadTransferee: null,
    pendingConfIndex: 0,
  };
}

const sorted = (s: ReadonlySet<NodeId> | null): NodeId[] | null =>
  s === null ? null : [...s].sort();

/** A leader that has seen one tick at last index 100 (nobody is lazy after the first). */
function warmed(progress: Record<NodeId, ProgressStatus>, voters?: NodeId[]): LazyFollowers {
  const l = new LazyFollowers('n1');
  assert.equal(l.observe(status(100, progress, voters), 0), null, 'nobody lazy at the first tick');
  return l;
}

test('with three voters the follower that is not the partner is lazy; the partner is the most advanced', () => {
  const progress = { n1: pr(110), n2: pr(104), n3: pr(108) };
  const l = warmed(progress);
  assert.deepEqual(sorted(l.observe(status(110, progress), 100)), ['n2']);
  assert.deepEqual(sorted(l.current), ['n2']);
  // The partner stays while it keeps up, even when the lazy one is ahead for a moment.
  const later = { n1: pr(130), n2: pr(125), n3: pr(118) };
  assert.equal(l.observe(status(130, later), 200), null);
});

test('a partner that falls behind or stops replicating is replaced at the next tick', () => {
  const progress = { n1: pr(110), n2: pr(104), n3: pr(108) };
  const l = warmed(progress);
  assert.deepEqual(sorted(l.observe(status(110, progress), 100)), ['n2']);
  // n3 acknowledged nothing of what the leader had at the last tick (110).
  const behind = { n1: pr(150), n2: pr(140), n3: pr(109) };
  assert.deepEqual(sorted(l.observe(status(150, behind), 200)), [], 'n2 is the partner now');
  // n3 caught up again: it is the lazy one now, n2 stays partner.
  const back = { n1: pr(160), n2: pr(160), n3: pr(155) };
  assert.deepEqual(sorted(l.observe(status(160, back), 300)), ['n3']);
  // The partner is probed (its connection broke): the lazy one takes its place.
  const probed = { n1: pr(170), n2: pr(160, 'probe'), n3: pr(165) };
  assert.deepEqual(sorted(l.observe(status(170, probed), 400)), []);
});

test('nobody is lazy when the followers that keep up are all partners', () => {
  const five = { n1: pr(110), n2: pr(101), n3: pr(109), n4: pr(105), n5: pr(108) };
  const l = warmed(five);
  assert.deepEqual(sorted(l.observe(status(110, five), 100)), ['n2', 'n4']);
  // Two of four followers fell behind: the two that keep up are the quorum.
  const twoDown = { n1: pr(150), n2: pr(150), n3: pr(50, 'probe'), n4: pr(150), n5: pr(100) };
  assert.deepEqual(sorted(l.observe(status(150, twoDown), 200)), []);
});

test('five voters: two partners, two lazy; two voters: none lazy', () => {
  const five = { n1: pr(110), n2: pr(101), n3: pr(109), n4: pr(105), n5: pr(108) };
  const l = warmed(five);
  assert.deepEqual(sorted(l.observe(status(110, five), 100)), ['n2', 'n4']);
  const two = { n1: pr(110), n2: pr(110) };
  const m = warmed(two);
  assert.equal(m.observe(status(110, two), 100), null);
  assert.deepEqual(sorted(m.current), []);
});

test('a learner is never lazy (its promotion needs it near the commit index), nor a transfer target', () => {
  const progress = { n1: pr(110), n2: pr(110), n3: pr(108), n4: pr(110) };
  const voters = ['n1', 'n2', 'n3'];
  const l = warmed(progress, voters);
  assert.deepEqual(sorted(l.observe(status(110, progress, voters, ['n4']), 100)), ['n3']);
  const steady = { n1: pr(120), n2: pr(120), n3: pr(120), n4: pr(120) };
  const transferring = { ...status(120, steady, voters, ['n4']), leadTransferee: 'n3' };
  assert.deepEqual(sorted(l.observe(transferring, 200)), []);
  assert.deepEqual(sorted(l.observe(status(120, steady, voters, ['n4']), 300)), ['n3']);
});

test('a leader that is no longer a voter needs a whole quorum of followers as partners', () => {
  const progress = { n1: pr(110), n2: pr(110), n3: pr(108), n4: pr(105) };
  const voters = ['n2', 'n3', 'n4'];
  const l = warmed(progress, voters);
  assert.deepEqual(sorted(l.observe(status(110, progress, voters), 100)), ['n4']);
});

test('a follower whose clients read is not lazy until READER_MS after its last read index', () => {
  // Equally advanced: the first voter in the list is the partner.
  const steady = { n1: pr(110), n2: pr(110), n3: pr(110) };
  const l = warmed(steady);
  assert.deepEqual(sorted(l.observe(status(110, steady), 100)), ['n3']);
  assert.deepEqual(sorted(l.reading('n3', 150)), []);
  assert.equal(l.reading('n3', 160), null, 'no change: it is not lazy');
  assert.equal(l.observe(status(110, steady), 200), null);
  assert.equal(l.observe(status(110, steady), 160 + READER_MS - 1), null);
  assert.deepEqual(sorted(l.observe(status(110, steady), 160 + READER_MS)), ['n3']);
  // Reading by the partner changes nothing.
  assert.equal(l.reading('n2', 2000), null);
});

test('reset: nobody lazy, and the first tick after it makes nobody lazy', () => {
  const steady = { n1: pr(110), n2: pr(110), n3: pr(110) };
  const l = warmed(steady);
  assert.deepEqual(sorted(l.observe(status(110, steady), 100)), ['n3']);
  assert.deepEqual(sorted(l.reset()), []);
  assert.equal(l.reset(), null);
  assert.equal(l.observe(status(110, steady), 200), null);
  assert.deepEqual(sorted(l.observe(status(110, steady), 300)), ['n3']);
  // A status without progress (no longer leader) is a reset.
  assert.deepEqual(sorted(l.observe({ ...status(110, steady), progress: null }, 400)), []);
});
