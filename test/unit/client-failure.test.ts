import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invalidWrite } from '../../src/coordinator/replication/client-failure.js';

const refusal = 'ERR node n1, the leader, does not know the operation of this write (op 11)';

test("a write refused as invalid is answered with the leader's text", () => {
  assert.equal(invalidWrite(refusal, 'not-applied').message, refusal);
});

test('a write refused as invalid after an unanswered attempt says it may have been applied', () => {
  assert.equal(
    invalidWrite(refusal, 'maybe-applied').message,
    `${refusal}; an earlier attempt went unanswered, so the write may or may not have been applied; read the key to check before retrying a non-idempotent write`,
  );
});
