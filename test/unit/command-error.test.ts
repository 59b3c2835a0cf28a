import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  failedInside,
  isInternalFailure,
  STORAGE_UNAVAILABLE,
  storageRefused,
  syntaxError,
} from '../../src/coordinator/command-error.js';

test('isInternalFailure recognises the replies built for faults of distdb itself', () => {
  assert.equal(isInternalFailure(storageRefused('io', 'disk full')), true);
  assert.equal(isInternalFailure(failedInside('set', 'boom')), true);
});

test('isInternalFailure leaves errors of the request (and retryable ones) alone', () => {
  assert.equal(isInternalFailure(syntaxError().message), false);
  assert.equal(isInternalFailure(STORAGE_UNAVAILABLE), false);
  // A client's own words inside an ordinary error do not make it internal.
  assert.equal(
    isInternalFailure(
      "ERR unknown command 'x', with args beginning with: 'failed inside distdb:' ",
    ),
    false,
  );
});
