// One measured run: a system, a workload and a client count, and what came
// of it. This is the record the table, the target check, the JSON file and
// the chart are made from.

import type { LatencyHistogram } from '../histogram.js';
import type { MachineCpu } from './machine-cpu.js';
import type { ProcessCpu } from './proc-cpu.js';
import type { SystemName } from './systems/system.js';
import type { Workload } from './workload.js';

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface Measurement {
  system: SystemName;
  workload: Workload;
  clients: number;
  /** Length of the measured window. */
  seconds: number;
  ops: number;
  opsPerSec: number;
  errors: number;
  firstError: string | null;
  /** Of the successful requests, in ms. */
  latencyMs: LatencySummary;
  /**
   * CPU seconds used during the measured window; `byProcess` splits
   * `servers`; `machine` is the whole machine's (absent from results files
   * written before it was measured).
   */
  cpuSeconds: {
    loadGenerator: number;
    servers: number;
    byProcess: ProcessCpu[];
    machine?: MachineCpu;
  };
  /** Share of the window the load generator's event loop was busy (0..1): near 1, it was the limit. */
  loadGeneratorBusy: number;
  /** Which round of a `--rounds` run it came from (1 for a single run). */
  round?: number;
}

export function summarize(h: LatencyHistogram): LatencySummary {
  return {
    p50: h.percentile(50),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    max: h.maxMs,
    mean: h.meanMs,
  };
}

export function findMeasurement(
  all: readonly Measurement[],
  system: SystemName,
  workload: Workload,
  clients: number,
): Measurement | undefined {
  return all.find((m) => m.system === system && m.workload === workload && m.clients === clients);
}

/** `all` in groups of equal `key`, each group and the groups in first-seen order. */
export function groupBy(
  all: readonly Measurement[],
  key: (m: Measurement) => string,
): Map<string, Measurement[]> {
  const groups = new Map<string, Measurement[]>();
  for (const m of all) {
    const k = key(m);
    const g = groups.get(k);
    if (g) g.push(m);
    else groups.set(k, [m]);
  }
  return groups;
}

/** The event-loop share above which the load generator, not the server, is likely the bottleneck. */
export const SATURATED_BUSY = 0.9;
