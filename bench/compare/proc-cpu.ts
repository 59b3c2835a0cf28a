// CPU time of server processes, read from /proc/<pid>/stat (utime + stime,
// in clock ticks): the servers are other programs, so this is the one view of
// their CPU that works for all of them. Children count too (a distdb node's
// storage engine), found by walking the parent links in /proc.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields count from the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) … utime(14) stime(15), numbered as in proc(5).
  const num = (i: number): number => Number(fields[i - 3]);
  return { state: fields[0] ?? '?', ppid: num(4), cpuTicks: num(14) + num(15) };
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100; // what Linux uses on every common architecture
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

function readStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone
  }
}

/** Each live process in the trees rooted at `roots`, with its CPU ticks so far. */
export function treeTicks(roots: readonly number[]): Map<number, number> {
  const all = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.state !== 'Z') all.set(Number(name), st);
  }
  const out = new Map<number, number>();
  const take = (pid: number): void => {
    const st = all.get(pid);
    if (!st || out.has(pid)) return;
    out.set(pid, st.cpuTicks);
    for (const [child, s] of all) if (s.ppid === pid) take(child);
  };
  for (const r of roots) take(r);
  return out;
}

/** CPU seconds used by the process trees between `start()` and `stop()`. */
export class TreeCpuMeter {
  private before = new Map<number, number>();

  constructor(private readonly roots: () => readonly number[]) {}

  start(): void {
    this.before = treeTicks(this.roots());
  }

  stop(): number {
    let ticks = 0;
    for (const [pid, t] of treeTicks(this.roots())) ticks += t - (this.before.get(pid) ?? 0);
    return ticks / clockTicks();
  }
}
