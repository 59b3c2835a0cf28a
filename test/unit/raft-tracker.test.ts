import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProgressTracker } from '../../src/raft/tracker.js';

describe('progress tracker quorum arithmetic', () => {
  it('committed() is the largest index a majority of voters has, learners aside', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(50), { minLength: 1, maxLength: 7, size: 'max' }),
        fc.array(fc.nat(50), { maxLength: 3, size: 'max' }),
        (voterMatches, learnerMatches) => {
          const voters = voterMatches.map((_, i) => `v${i}`);
          const learners = learnerMatches.map((_, i) => `l${i}`);
          const t = new ProgressTracker(256, 0);
          t.setConf({ voters, learners }, 1);
          // Twice over the same tracker: the scratch it reuses must not leak between calls.
          for (const shift of [0, 3]) {
            voters.forEach((id, i) => (t.progress.get(id)!.match = voterMatches[i]! + shift));
            learners.forEach((id, i) => (t.progress.get(id)!.match = learnerMatches[i]! + 100));
            const sorted = voterMatches.map((m) => m + shift).sort((a, b) => b - a);
            const majority = Math.floor(voters.length / 2) + 1;
            assert.equal(t.committed(), sorted[majority - 1]);
          }
        },
      ),
    );
  });

  it('committed() is 0 with no voters', () => {
    const t = new ProgressTracker(256, 0);
    assert.equal(t.committed(), 0);
  });
});
