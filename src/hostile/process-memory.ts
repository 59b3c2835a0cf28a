// A process's resident memory from Linux /proc: now and its peak, and
// resetting the peak so each attack's peak is its own.

import { readFileSync, writeFileSync } from 'node:fs';

/** Resident memory of a process in bytes: now, and its peak since start or the last reset (Linux /proc). */
export function memoryOf(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Resets a process's peak RSS to its current RSS (Linux clear_refs 5), so each attack's peak is its own. */
export function resetPeakMemory(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted or not Linux: the peak then covers everything since start.
  }
}
