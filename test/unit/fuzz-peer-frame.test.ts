// Fuzzing the peer message codec (peer frames and the raft codec): arbitrary and mutated bytes only
// ever raise its protocol error and never stall; valid input round-trips.
// The properties live in test/helpers/fuzz-targets.ts; `npm run fuzz` soaks them.
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzTargets } from '../helpers/fuzz-targets.js';

for (const target of [...fuzzTargets('peer-frame-'), ...fuzzTargets('raft-message-')]) {
  test(target.name, () => {
    fc.assert(target.property(), { numRuns: 1500 });
  });
}
