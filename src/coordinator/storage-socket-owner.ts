// Before the coordinator talks to its storage engine it checks who owns the
// socket: every key, value and Raft log entry goes through it, so a socket
// that another user created (or may replace) would hand them the node's data
// and let them answer in the engine's place. The engine creates its socket
// 0600 under the coordinator's own user; anything else is refused.

import { lstatSync, type Stats } from 'node:fs';

/** The storage socket is not safely ours; the message names the path and the fix. */
export class StorageSocketOwnershipError extends Error {
  override name = 'StorageSocketOwnershipError';
}

/**
 * Why `path` must not be used as the storage socket, or null when it is ours
 * (or does not exist yet: connecting then fails and is retried). `uid` is
 * this process's user; on platforms without users the check is skipped.
 */
export function storageSocketProblem(
  path: string,
  uid: number | undefined = process.getuid?.(),
): string | null {
  if (uid === undefined) return null;
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!st.isSocket()) {
    return `storage socket ${path} is not a socket; point --socket at the storage engine's socket`;
  }
  if (st.uid !== uid) {
    return (
      `storage socket ${path} is owned by uid ${st.uid}, not by this coordinator's uid ${uid}; ` +
      "another user may have created it to intercept the node's data. Remove it and run the storage " +
      'engine as the same user as the coordinator'
    );
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return (
      `storage socket ${path} has mode ${mode}: other users may write to it. ` +
      `Run chmod 600 ${path}, or restart the storage engine, which creates its socket 0600`
    );
  }
  return null;
}

/** Throws StorageSocketOwnershipError when `path` is not safely ours. */
export function checkStorageSocket(path: string): void {
  const problem = storageSocketProblem(path);
  if (problem !== null) throw new StorageSocketOwnershipError(problem);
}
