// One storage engine per data directory. LMDB itself would let two processes
// share the files, but the engine caches per-group state (key counts, session
// order, log bounds) in memory, so a second engine would corrupt what the
// first believes. A pid file marks the owner; one whose process is gone
// (kill -9) is taken over.

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'storage.pid';

/** The data directory belongs to another live engine. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/** Takes the data directory; returns the function that gives it back. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  try {
    writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new DataDirInUseError(
        `data directory ${dataDir} is in use by storage engine pid ${owner}; stop it first (if that process is not a storage engine, remove ${path})`,
      );
    }
    writeFileSync(path, mine, { mode: 0o600 });
  }
  return () => {
    try {
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed engine whose parent died too may stay a zombie for good (no init
 * reaps it in some containers); it holds nothing, so it does not count.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false; // No /proc (not Linux): trust kill(pid, 0).
  }
}
