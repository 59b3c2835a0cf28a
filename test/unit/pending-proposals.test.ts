import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PendingProposals } from '../../src/coordinator/replication/pending-proposals.js';
import { OutcomeUnknownError } from '../../src/coordinator/replication/replication-errors.js';
import type { KvResult } from '../../src/kv/types.js';

const ok: KvResult = { op: 'put', written: true, old: null };

/** 'pending', or how the promise settled. */
async function state(p: Promise<unknown>): Promise<string> {
  return Promise.race([
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
    sleep(0).then(() => 'pending'),
  ]);
}

describe('pending proposals', () => {
  it('fails each proposal at its own deadline, whatever order they were added in', async () => {
    const pp = new PendingProposals();
    const late = pp.add(1, 1, null, 400);
    const early = pp.add(2, 1, null, 20);
    const middle = pp.add(3, 1, null, 100);
    await assert.rejects(early, (e) => e instanceof OutcomeUnknownError && /20 ms/.test(e.message));
    assert.equal(await state(middle), 'pending');
    assert.equal(await state(late), 'pending');
    await assert.rejects(middle, /not applied within 100 ms/);
    assert.equal(await state(late), 'pending');
    await assert.rejects(late, /not applied within 400 ms/);
  });

  it('a proposal taken before its deadline is not failed by it', async () => {
    const pp = new PendingProposals();
    const a = pp.add(1, 2, null, 10);
    const b = assert.rejects(pp.add(2, 2, null, 30), /30 ms/);
    const p = pp.take(1);
    assert.equal(p?.term, 2);
    p!.resolve(ok);
    assert.deepEqual(await a, ok);
    await sleep(50);
    assert.equal(pp.take(1), undefined);
    await b;
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
