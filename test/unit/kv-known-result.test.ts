// What the leader may answer at commit, before its state machine applies the
// entry: the command's result must not depend on the store, and the session
// forecast must only say "applied afresh" when applyProposal really applies
// it. The forecast is checked against applyProposal itself over many random
// histories of retries, stale seqs, skipped seqs, new sessions and expiry.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyProposal, type SessionLimits } from '../../src/kv/apply.js';
import { resultWithoutState } from '../../src/kv/known-result.js';
import { MapKvStore } from '../../src/kv/map-store.js';
import { SessionForecast } from '../../src/kv/session-forecast.js';
import { MapSessionTable } from '../../src/kv/sessions.js';
import type { KvCommand, KvResult, Proposal } from '../../src/kv/types.js';
import { Prng } from '../../src/sim/prng.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

test('only plain puts, MSET and noop have a result known without the state', () => {
  const k = b('k');
  const v = b('v');
  assert.deepEqual(resultWithoutState({ op: 'put', key: k, value: v }), {
    op: 'put',
    written: true,
    old: null,
  });
  assert.deepEqual(resultWithoutState({ op: 'put', key: k, value: v, returnOld: false }), {
    op: 'put',
    written: true,
    old: null,
  });
  assert.deepEqual(resultWithoutState({ op: 'mset', pairs: [[k, v]] }), { op: 'mset' });
  assert.deepEqual(resultWithoutState({ op: 'noop' }), { op: 'noop' });
  assert.equal(resultWithoutState({ op: 'put', key: k, value: v, cond: 'nx' }), null);
  assert.equal(resultWithoutState({ op: 'put', key: k, value: v, cond: 'xx' }), null);
  assert.equal(resultWithoutState({ op: 'put', key: k, value: v, returnOld: true }), null);
  assert.equal(resultWithoutState({ op: 'del', keys: [k] }), null);
  assert.equal(resultWithoutState({ op: 'cas', key: k, expected: null, value: v }), null);
  assert.equal(resultWithoutState({ op: 'incr', key: k, by: 1n }), null);
  assert.equal(resultWithoutState({ op: 'append', key: k, value: v, maxLength: 9 }), null);
  assert.equal(resultWithoutState({ op: 'getdel', key: k }), null);
});

test('the known result is what applyProposal returns on any store', () => {
  const commands: KvCommand[] = [
    { op: 'put', key: b('a'), value: b('1') },
    { op: 'mset', pairs: [[b('a'), b('2')]] },
    { op: 'noop' },
  ];
  for (const before of [null, 'old']) {
    for (const command of commands) {
      const store = new MapKvStore();
      if (before !== null) store.put(b('a'), b(before));
      const got = applyProposal(store, new MapSessionTable(), { command }, 1);
      assert.deepEqual(got, resultWithoutState(command));
    }
  }
});

test('a client the forecast has not seen applied is never forecast', () => {
  const f = new SessionForecast();
  const put: KvCommand = { op: 'put', key: b('k'), value: b('v') };
  // Seq 2 of a session whose seq 1 was never proposed: the state machine says session-expired.
  assert.equal(f.committed(1, { session: { clientId: 'c', seq: 2 }, command: put }), false);
  assert.equal(f.committed(2, { session: { clientId: 'd', seq: 1 }, command: put }), false);
  assert.equal(f.committed(3, { command: put }), true, 'no session: always applied');
});

test('once a result is seen, the next seqs of that client are forecast; a retry is not', () => {
  const f = new SessionForecast();
  const p = (seq: number): Proposal => ({
    session: { clientId: 'c', seq },
    command: { op: 'put', key: b('k'), value: b(String(seq)) },
  });
  assert.equal(f.committed(1, p(1)), false);
  f.applied(1, p(1), { op: 'put', written: true, old: null });
  assert.equal(f.committed(2, p(2)), true);
  assert.equal(f.committed(3, p(3)), true, 'pipelined: known from the forecast of seq 2');
  assert.equal(f.committed(4, p(3)), false, 'a retry gets the recorded result');
  assert.equal(f.committed(5, p(2)), false, 'a stale seq is session-expired');
  assert.equal(f.committed(6, p(4)), true);
});

test('a result learnt after a later entry of the client was committed is not used', () => {
  const f = new SessionForecast();
  const p = (seq: number): Proposal => ({
    session: { clientId: 'c', seq },
    command: { op: 'put', key: b('k'), value: b('v') },
  });
  assert.equal(f.committed(1, p(1)), false);
  assert.equal(f.committed(2, p(2)), false);
  f.applied(1, p(1), { op: 'put', written: true, old: null });
  assert.equal(f.committed(3, p(3)), false, 'seq 2 may have been expired or applied');
  f.applied(2, p(2), { op: 'session-expired' });
  assert.equal(f.committed(4, p(4)), false, 'session-expired leaves the client unknown');
});

test('a known session is forgotten before it could expire', () => {
  const limits: SessionLimits = { maxIdleIndexes: 10, maxSessions: 100 };
  const f = new SessionForecast(limits);
  const p = (seq: number): Proposal => ({
    session: { clientId: 'c', seq },
    command: { op: 'noop' },
  });
  f.committed(1, p(1));
  f.applied(1, p(1), { op: 'noop' });
  assert.equal(f.committed(10, p(2)), true, '9 indexes idle: still recorded');
  assert.equal(f.committed(20, p(3)), false, '10 indexes idle: may be expired');
});

/**
 * Random histories: a few clients propose puts with next seqs (often
 * pipelined), retries, stale seqs, skipped seqs (a write refused before it
 * was proposed) and new sessions, among plain entries; applies trail the
 * commits by a random lag. Small limits make expiry frequent. Whenever the
 * forecast says "applied afresh", applyProposal must write this entry's value.
 */
test('the forecast agrees with applyProposal over random histories', () => {
  let forecasts = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rng = new Prng(seed);
    const limits: SessionLimits = {
      maxIdleIndexes: 5 + rng.int(60),
      maxSessions: 2 + rng.int(40),
    };
    const forecast = new SessionForecast(limits, 2 + rng.int(10));
    const store = new MapKvStore();
    const sessions = new MapSessionTable();
    const clients = Array.from({ length: 1 + rng.int(8) }, (_, i) => ({
      id: `c${i}`,
      gen: 0,
      seq: 0,
    }));
    const unapplied: Array<{ index: number; p: Proposal; fresh: boolean }> = [];
    const applyOne = (): void => {
      const e = unapplied.shift()!;
      const value = `v${e.index}`;
      const result: KvResult = applyProposal(store, sessions, e.p, e.index, limits);
      const key = e.p.command.op === 'put' ? Buffer.from(e.p.command.key).toString() : null;
      if (e.fresh && key !== null) {
        assert.equal(
          Buffer.from(store.get(b(key)) ?? []).toString(),
          value,
          `seed ${seed}: entry ${e.index} was forecast as applied afresh but was not (${result.op})`,
        );
      }
      forecast.applied(e.index, e.p, result);
    };
    for (let index = 1; index <= 400; index++) {
      const c = clients[rng.int(clients.length)]!;
      const roll = rng.int(100);
      let p: Proposal;
      if (roll < 5) {
        p = { command: { op: 'noop' } };
      } else {
        if (roll < 55) c.seq++;
        else if (roll < 65) c.seq += 2;
        else if (roll < 75) c.seq = Math.max(1, c.seq - 1 - rng.int(3));
        else if (roll < 80) {
          c.gen++;
          c.seq = 1 + rng.int(2);
        }
        // else: a retry of the current seq
        c.seq = Math.max(1, c.seq);
        p = {
          session: { clientId: `${c.id}.${c.gen}`, seq: c.seq },
          command: { op: 'put', key: b(`${c.id}.${c.gen}`), value: b(`v${index}`) },
        };
      }
      const fresh = forecast.committed(index, p);
      if (fresh && p.session !== undefined) forecasts++;
      unapplied.push({ index, p, fresh });
      while (unapplied.length > 0 && rng.int(3) === 0) applyOne();
    }
    while (unapplied.length > 0) applyOne();
  }
  assert.ok(forecasts > 1000, `the forecast said "applied afresh" only ${forecasts} times`);
});
