import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TickClock } from '../../src/coordinator/replication/tick-clock.js';

describe('TickClock', () => {
  it('counts the whole ticks since the last one, keeping the remainder', () => {
    const c = new TickClock(100, 11, 1000);
    assert.equal(c.due(1099), 0);
    assert.equal(c.due(1100), 1);
    assert.equal(c.due(1150), 0);
    assert.equal(c.due(1360), 2, 'a timer that missed one tick and ran 60 ms late owes two');
    assert.equal(c.due(1400), 1, 'counted from 1300, not from 1360: no drift');
  });

  it('delivers at most `most` after a long stall, and counts from now on', () => {
    const c = new TickClock(100, 11, 0);
    assert.equal(c.due(5_000), 11);
    assert.equal(c.due(5_050), 0);
    assert.equal(c.due(5_100), 1);
  });
});
