// LMDB's error behind a failed commit (lmdb-commit-error.ts), from errors
// shaped as lmdb-js 3.5.6 makes them (write.js's rejectCommit, and the
// native error a synchronous commit throws); the disk-full fault test sees a
// real one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lmdbCommitError } from '../../src/storage/lmdb-commit-error.js';

function lmdbError(message: string, code: number): Error {
  return Object.assign(new Error(message), { code });
}

test("an asynchronous commit's cause is its commitError's, its errno named", async () => {
  const commitError = Promise.reject(lmdbError('Input/output error', 5));
  const err = Object.assign(new Error('Commit failed (see commitError for details)'), {
    commitError,
  });
  assert.equal((await lmdbCommitError(err)).message, 'EIO: Input/output error');
});

test("a synchronous commit's error is the cause itself", async () => {
  const err = lmdbError('No space left on device', 28);
  assert.equal((await lmdbCommitError(err)).message, 'ENOSPC: No space left on device');
});

test('a commitError not rejected yet leaves the message as it is, without waiting for it', async () => {
  const err = Object.assign(new Error('Commit failed (see commitError for details)'), {
    commitError: new Promise(() => undefined),
  });
  assert.equal((await lmdbCommitError(err)).message, 'Commit failed (see commitError for details)');
});
