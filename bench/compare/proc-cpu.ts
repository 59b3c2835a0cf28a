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

/** Clock ticks per second, the unit of /proc CPU times. */
export function clockTicks(): number {
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

/** A server process to meter, with the name its descendants are counted under. */
export interface MeteredProcess {
  pid: number;
  name: string;
  /** What its children are (a distdb node's storage engine); null: it has none of note. */
  childName: string | null;
}

/** CPU seconds one server process (or its children) used in the window. */
export interface ProcessCpu {
  name: string;
  seconds: number;
}

/** CPU used by the process trees between `start()` and `stop()`: in all, and per process. */
export class TreeCpuMeter {
  private before = new Map<number, number>();

  constructor(private readonly roots: () => readonly MeteredProcess[]) {}

  start(): void {
    this.before = treeTicks(this.roots().map((r) => r.pid));
  }

  stop(): { total: number; byProcess: ProcessCpu[] } {
    const hz = clockTicks();
    const byProcess: ProcessCpu[] = [];
    let total = 0;
    for (const root of this.roots()) {
      let own = 0;
      let children = 0;
      for (const [pid, t] of treeTicks([root.pid])) {
        const used = t - (this.before.get(pid) ?? 0);
        if (pid === root.pid) own += used;
        else children += used;
      }
      byProcess.push({ name: root.name, seconds: own / hz });
      if (root.childName !== null) byProcess.push({ name: root.childName, seconds: children / hz });
      total += own + children;
    }
    return { total: total / hz, byProcess };
  }
}
