// One cluster fault test at a time per machine: the test addresses and the
// iptables chain are shared by every process, so a second run (another
// `npm test`, a long `npm run jepsen`) would cut, clear or heal the first
// one's partitions. A lock file holding the owner's pid serializes them; a
// lock whose owner is gone is taken over.

import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK = join(tmpdir(), 'distdb-fault-network.lock');

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(LOCK, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive but not ours; ENOENT: the lock just went away.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let held = 0;

/**
 * Waits (up to `timeoutMs`) until this process holds the machine's network
 * lock; returns the function that releases it. Re-entrant within a process.
 */
export async function lockNetwork(
  timeoutMs = 15 * 60_000,
  log: (line: string) => void = () => undefined,
): Promise<() => void> {
  const until = Date.now() + timeoutMs;
  let told = false;
  while (held === 0) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.once('exit', dropLock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!ownerAlive()) {
        try {
          unlinkSync(LOCK);
        } catch {
          // another waiter took it over first
        }
        continue;
      }
      if (Date.now() > until) {
        throw new Error(`another fault test has held ${LOCK} for ${timeoutMs} ms`, { cause: e });
      }
      if (!told) log(`waiting for another fault test on this machine (${LOCK})`);
      told = true;
      await sleep(250);
    }
  }
  held++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held === 0) dropLock();
  };
}

function dropLock(): void {
  try {
    if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) unlinkSync(LOCK);
  } catch {
    // already gone
  }
}
