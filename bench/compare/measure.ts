// One measured run of one system: open the clients, run the closed loop with
// a progress bar, read the CPU meters at the edges of the measured window.

import { performance } from 'node:perf_hooks';
import { ProgressBar } from '../progress.js';
import { runClosedLoop } from './closed-loop.js';
import type { KvConnection } from './driver.js';
import { formatOps } from './format.js';
import { summarize, type Measurement } from './measurement.js';
import { MachineCpuMeter, type MachineCpu } from './machine-cpu.js';
import { TreeCpuMeter, type ProcessCpu } from './proc-cpu.js';
import type { RunningSystem } from './systems/system.js';
import type { Workload } from './workload.js';

export interface MeasureSettings {
  workload: Workload;
  clients: number;
  keyCount: number;
  warmupSec: number;
  durationSec: number;
}

export async function measure(sys: RunningSystem, s: MeasureSettings): Promise<Measurement> {
  const conns: KvConnection[] = [];
  try {
    for (let i = 0; i < s.clients; i++) conns.push(await sys.connect());
    const servers = new TreeCpuMeter(() => sys.serverProcesses());
    const machineMeter = new MachineCpuMeter();
    let machine: MachineCpu = { capacity: 0, processes: 0, interrupts: 0 };
    let cpu0 = process.cpuUsage();
    let elu0 = performance.eventLoopUtilization();
    let serverCpu = 0;
    let byProcess: ProcessCpu[] = [];
    let loadGenCpu = 0;
    let busy = 0;
    const { outcome, done } = runClosedLoop(conns, {
      workload: s.workload,
      keyCount: s.keyCount,
      warmupMs: s.warmupSec * 1000,
      durationMs: s.durationSec * 1000,
      onWindowStart() {
        machineMeter.start();
        servers.start();
        cpu0 = process.cpuUsage();
        elu0 = performance.eventLoopUtilization();
      },
      onWindowEnd() {
        ({ total: serverCpu, byProcess } = servers.stop());
        const used = process.cpuUsage(cpu0);
        loadGenCpu = (used.user + used.system) / 1e6;
        busy = performance.eventLoopUtilization(elu0).utilization;
        machine = machineMeter.stop();
      },
    });
    const bar = new ProgressBar();
    bar.start(
      `${sys.name} ${s.workload} x${s.clients}`,
      () => (performance.now() - outcome.startedAt) / (outcome.measureTo - outcome.startedAt),
      () => {
        const now = performance.now();
        if (now < outcome.measureFrom) return 'warming up';
        const secs = (Math.min(now, outcome.measureTo) - outcome.measureFrom) / 1000;
        return `${formatOps(outcome.latency.count / Math.max(secs, 0.001))} ops/s`;
      },
    );
    try {
      await done;
    } finally {
      bar.stop();
    }
    return {
      system: sys.name,
      workload: s.workload,
      clients: s.clients,
      seconds: s.durationSec,
      ops: outcome.latency.count,
      opsPerSec: outcome.latency.count / s.durationSec,
      errors: outcome.errors,
      firstError: outcome.firstError,
      latencyMs: summarize(outcome.latency),
      cpuSeconds: { loadGenerator: loadGenCpu, servers: serverCpu, byProcess, machine },
      loadGeneratorBusy: busy,
    };
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  }
}
