// Reconnect delays: doubling from the initial delay, capped, jittered
// within (base/2, base], and back to the start after a success.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Backoff, backoffDelay } from '../../src/peer/backoff.js';

const policy = { initialMs: 100, maxMs: 5000 };

describe('peer reconnect backoff', () => {
  it('doubles per attempt up to the cap (no jitter drawn)', () => {
    const delays = Array.from({ length: 9 }, (_, i) => backoffDelay(i, policy, 0));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    assert.equal(backoffDelay(5000, policy, 0), 5000, 'a huge attempt count stays at the cap');
  });

  it('jitter removes at most half of the delay', () => {
    assert.equal(backoffDelay(0, policy, 0.999999), 50);
    assert.equal(backoffDelay(3, policy, 0.5), 600);
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const base = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
          const d = backoffDelay(attempt, policy, r);
          assert.ok(d > base / 2 - 1 && d <= base, `attempt ${attempt} r ${r}: ${d}`);
        },
      ),
    );
  });

  it('never returns zero, even for tiny delays', () => {
    assert.equal(backoffDelay(0, { initialMs: 1, maxMs: 1 }, 0.99), 1);
  });

  it('counts failures and starts over after reset', () => {
    const draws = [0, 0, 0, 0.5];
    const b = new Backoff(policy, () => draws.shift() ?? 0);
    assert.deepEqual([b.next(), b.next(), b.next()], [100, 200, 400]);
    assert.equal(b.failures, 3);
    b.reset();
    assert.equal(b.failures, 0);
    assert.equal(b.next(), 75, 'back to the initial delay (jittered by 0.5 → 75)');
  });
});
