import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
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

const T0 = 1_000_000;

describe('deadline timer', () => {
  // The test moves the clock (setTimeout and Date.now) by hand: each firing
  // is checked to the millisecond, however late a loaded machine runs timers.
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  afterEach(() => mock.timers.reset());

  it('fires by the earliest deadline armed, then by the next one its owner names', () => {
    const o = owner();
    for (const ms of [300, 20, 120]) {
      o.due.push(T0 + ms);
      o.timer.arm(T0 + ms);
    }
    mock.timers.tick(19);
    assert.deepEqual(o.fired, []);
    mock.timers.tick(1);
    assert.deepEqual(o.fired, [T0 + 20]);
    mock.timers.tick(99);
    assert.deepEqual(o.fired, [T0 + 20]);
    mock.timers.tick(1);
    assert.deepEqual(o.fired, [T0 + 20, T0 + 120]);
    mock.timers.tick(180);
    assert.deepEqual(o.fired, [T0 + 20, T0 + 120, T0 + 300]);
  });

  it('a later deadline does not postpone an armed earlier one', () => {
    const o = owner();
    o.due.push(T0 + 20);
    o.timer.arm(T0 + 20);
    o.timer.arm(T0 + 5000);
    mock.timers.tick(20);
    assert.deepEqual(o.fired, [T0 + 20]);
  });

  it('disarmed, it does not fire', () => {
    const o = owner();
    o.due.push(T0 + 10);
    o.timer.arm(T0 + 10);
    o.timer.disarm();
    mock.timers.tick(10_000);
    assert.deepEqual(o.fired, []);
  });
});
