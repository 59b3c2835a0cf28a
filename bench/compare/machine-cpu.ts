// The whole machine's CPU over the measured window, from the first line of
// /proc/stat. What the servers and the load generator used is measured per
// process (proc-cpu.ts), so the rest of the processes' time went to other
// programs: a run beside other work reads low and noisy, and this says which
// runs were, from the run itself rather than from the load average before it
// began. Interrupt time (irq, softirq: most of loopback networking's receive
// side) is charged to no process, so it is counted apart.

import { readFileSync } from 'node:fs';
import { clockTicks } from './proc-cpu.js';

/** CPU of the whole machine in a window, in seconds or clock ticks. */
export interface MachineCpu {
  /** Every CPU's time (CPUs × the window, less what the hypervisor kept: steal). */
  capacity: number;
  /** Processes' time: user + nice + system. */
  processes: number;
  /** Interrupt handlers' time: irq + softirq. */
  interrupts: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat (proc(5)): user nice system
 * idle iowait irq softirq steal guest guest_nice, in clock ticks. Steal is
 * time the hypervisor gave to others, and guest time is already in user.
 */
export function parseCpuLine(statText: string): MachineCpu {
  const line = statText.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no aggregate "cpu" line');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number): number => f[i] ?? 0;
  const processes = at(0) + at(1) + at(2);
  const interrupts = at(5) + at(6);
  return { capacity: processes + interrupts + at(3) + at(4), processes, interrupts };
}

function readTicks(): MachineCpu {
  return parseCpuLine(readFileSync('/proc/stat', 'utf8'));
}

/** The machine's CPU between `start()` and `stop()`. */
export class MachineCpuMeter {
  private before: MachineCpu = { capacity: 0, processes: 0, interrupts: 0 };

  start(): void {
    this.before = readTicks();
  }

  stop(): MachineCpu {
    const now = readTicks();
    const hz = clockTicks();
    const b = this.before;
    return {
      capacity: (now.capacity - b.capacity) / hz,
      processes: (now.processes - b.processes) / hz,
      interrupts: (now.interrupts - b.interrupts) / hz,
    };
  }
}

/** CPUs (CPU seconds per second) that processes other than the servers and the load generator used. */
export function otherProcessCpus(
  machine: MachineCpu,
  measured: { servers: number; loadGenerator: number },
  seconds: number,
): number {
  return Math.max(0, machine.processes - measured.servers - measured.loadGenerator) / seconds;
}
