import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { PendingProposals } from '../../src/coordinator/replication/pending-proposals.js';
import { OutcomeUnknownError } from '../../src/coordinator/replication/replication-errors.js';
import type { KvResult } from '../../src/kv/types.js';

const ok: KvResult = { op: 'put', written: true, old: null };

/** 'pending', or how the promise settled (setImmediate is not a mocked timer). */
async function state(p: Promise<unknown>): Promise<string> {
  return Promise.race([
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
    turn().then(() => 'pending'),
  ]);
}

/** Timers armed in one step of the clock, far more than any case here arms. */
const MAX_ARMED_PER_STEP = 100;
let armed = 0;

/**
 * Moves the clock by `ms`. A proposal left waiting past its deadline would
 * have its timer re-armed for the instant already reached, which
 * mock.timers.tick would fire again and again without end: the count of
 * timers armed (beforeEach) fails the test at once instead.
 */
function tick(ms: number): void {
  armed = 0;
  mock.timers.tick(ms);
}

describe('pending proposals', () => {
  // The test moves the clock (setTimeout and Date.now) by hand: each deadline
  // is checked to the millisecond, however late a loaded machine runs timers.
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    armed = 0;
    const mocked = globalThis.setTimeout;
    mock.method(globalThis, 'setTimeout', (fn: () => void, ms: number) => {
      armed++;
      assert.ok(
        armed <= MAX_ARMED_PER_STEP,
        `${armed} timers armed in one step of the clock: a proposal past its deadline is not failed`,
      );
      return mocked(fn, ms);
    });
  });
  // The setTimeout above wraps the mocked one: restored first.
  afterEach(() => {
    mock.restoreAll();
    mock.timers.reset();
  });

  it('fails each proposal at its own deadline, whatever order they were added in', async () => {
    const pp = new PendingProposals();
    const late = pp.add(1, 1, null, 400);
    const early = pp.add(2, 1, null, 20);
    const middle = pp.add(3, 1, null, 100);
    tick(19);
    assert.equal(await state(early), 'pending');
    tick(1);
    await assert.rejects(early, (e) => e instanceof OutcomeUnknownError && /20 ms/.test(e.message));
    assert.equal(await state(middle), 'pending');
    assert.equal(await state(late), 'pending');
    tick(79);
    assert.equal(await state(middle), 'pending');
    tick(1);
    await assert.rejects(middle, /not applied within 100 ms/);
    tick(299);
    assert.equal(await state(late), 'pending');
    tick(1);
    await assert.rejects(late, /not applied within 400 ms/);
  });

  it('a proposal taken before its deadline is not failed by it', async () => {
    const pp = new PendingProposals();
    const a = pp.add(1, 2, null, 10);
    const b = pp.add(2, 2, null, 30);
    tick(5);
    const p = pp.take(1);
    assert.equal(p?.term, 2);
    p!.resolve(ok);
    assert.deepEqual(await a, ok);
    tick(24);
    assert.equal(await state(b), 'pending');
    assert.equal(pp.take(1), undefined);
    tick(1);
    await assert.rejects(b, /not applied within 30 ms/);
  });

  it('a new entry at an index fails the one that waited there', async () => {
    const pp = new PendingProposals();
    const old = pp.add(5, 1, null, 1000);
    const now = pp.add(5, 2, null, 1000);
    await assert.rejects(old, /taken over by a newer leader/);
    assert.equal(pp.peek(5)?.term, 2);
    pp.rejectThrough(new OutcomeUnknownError('stopped'));
    await assert.rejects(now, /stopped/);
  });

  it('rejectThrough fails the proposals at or below an index and keeps the rest', async () => {
    const pp = new PendingProposals();
    const [a, b, c] = [
      pp.add(1, 1, null, 1000),
      pp.add(2, 1, null, 1000),
      pp.add(3, 1, null, 1000),
    ];
    pp.rejectThrough(new OutcomeUnknownError('snapshot'), 2);
    await assert.rejects(a, /snapshot/);
    await assert.rejects(b, /snapshot/);
    assert.equal(await state(c), 'pending');
    pp.take(3)!.resolve(ok);
    assert.deepEqual(await c, ok);
  });
});
