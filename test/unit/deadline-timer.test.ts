import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { DeadlineTimer } from '../../src/coordinator/replication/deadline-timer.js';

/** Deadlines as a test's owner keeps them: fires what is due, returns the next. */
function owner(): { timer: DeadlineTimer; due: number[]; fired: number[] } {
  const due: number[] = [];
  const fired: number[] = [];
  const timer = new DeadlineTimer((now) => {
    for (let i = due.length - 1; i >= 0; i--) {
      if (due[i]! <= now) fired.push(...due.splice(i, 1));
    }
    return due.length === 0 ? Infinity : Math.min(...due);
  });
  return { timer, due, fired };
}

describe('deadline timer', () => {
  it('fires by the earliest deadline armed, then by the next one its owner names', async () => {
    const o = owner();
    const t0 = Date.now();
    for (const ms of [300, 20, 120]) {
      o.due.push(t0 + ms);
      o.timer.arm(t0 + ms);
    }
    await sleep(70);
    assert.deepEqual(o.fired, [t0 + 20]);
    await sleep(100);
    assert.deepEqual(o.fired, [t0 + 20, t0 + 120]);
    await sleep(200);
    assert.deepEqual(o.fired, [t0 + 20, t0 + 120, t0 + 300]);
  });

  it('a later deadline does not postpone an armed earlier one', async () => {
    const o = owner();
    const t0 = Date.now();
    o.due.push(t0 + 20);
    o.timer.arm(t0 + 20);
    o.timer.arm(t0 + 5000);
    await sleep(60);
    assert.deepEqual(o.fired, [t0 + 20]);
  });

  it('disarmed, it does not fire', async () => {
    const o = owner();
    o.due.push(Date.now() + 10);
    o.timer.arm(Date.now() + 10);
    o.timer.disarm();
    await sleep(40);
    assert.deepEqual(o.fired, []);
  });
});
