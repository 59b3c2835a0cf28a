// What LMDB said when a commit failed, as lmdb-js (3.5.6, write.js) hands
// it over. An asynchronous commit (`batch`) rejects its writes' promises
// with 'Commit failed (see commitError for details)', and the cause is that
// error's `commitError`, a promise lmdb-js rejects in the same turn with
// LMDB's error: its errno as a number `code` (EIO for the short write of a
// full tmpfs, ENOSPC) and strerror's text. A synchronous commit
// (`transactionSync`) throws LMDB's error itself.

import { constants } from 'node:os';

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);

/** LMDB's error behind a failed commit, its errno named: "EIO: Input/output error". */
export async function lmdbCommitError(err: unknown): Promise<Error> {
  let cause = err;
  const commitError = (err as { commitError?: unknown } | null)?.commitError;
  if (commitError instanceof Promise) {
    // Already rejected (or never will be): a race with a settled value reads
    // it without waiting, and handles the rejection nobody else would.
    try {
      await Promise.race([commitError, undefined]);
    } catch (inner) {
      cause = inner;
    }
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const name = typeof code === 'number' ? ERRNO_NAMES.get(code) : undefined;
  return new Error(name && !message.startsWith(name) ? `${name}: ${message}` : message);
}
