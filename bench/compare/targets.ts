// Issue 5's five targets, checked against one run's measurements (same
// machine, same run, same load generator), each met, not met, or not
// measured (when the run left out a system, workload or client count).

import { formatMs as ms, formatOps as ops } from './format.js';
import { findMeasurement, type Measurement } from './measurement.js';
import type { SystemName } from './systems/system.js';
import type { Workload } from './workload.js';

export type TargetStatus = 'met' | 'not met' | 'not measured';

export interface TargetCheck {
  target: string;
  status: TargetStatus;
  /** The numbers behind the verdict. */
  detail: string;
}

interface Target {
  target: string;
  workload: Workload;
  clients: number;
  other: SystemName;
  /** distdb's ops/s must be at least this multiple of the other's. */
  minOpsRatio?: number;
  /** distdb's latency at this percentile must not exceed the other's. */
  latencyNoWorse?: 'p50' | 'p99';
}

export const TARGETS: readonly Target[] = [
  {
    target: 'put, 64 clients: distdb ≥ 5× etcd ops/s, p99 ≤ etcd p99',
    workload: 'put',
    clients: 64,
    other: 'etcd',
    minOpsRatio: 5,
    latencyNoWorse: 'p99',
  },
  {
    target: 'get, 64 clients: distdb ≥ 10× etcd ops/s',
    workload: 'get',
    clients: 64,
    other: 'etcd',
    minOpsRatio: 10,
  },
  {
    target: 'put, 1 client: distdb p50 ≤ etcd p50',
    workload: 'put',
    clients: 1,
    other: 'etcd',
    latencyNoWorse: 'p50',
  },
  {
    target: 'put, 64 clients: distdb ≥ 0.3× Redis ops/s',
    workload: 'put',
    clients: 64,
    other: 'redis',
    minOpsRatio: 0.3,
  },
  {
    target: 'get, 64 clients: distdb ≥ 0.5× Redis ops/s',
    workload: 'get',
    clients: 64,
    other: 'redis',
    minOpsRatio: 0.5,
  },
];

/** a / b, or null when b is zero (nothing to compare with). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

export function checkTargets(all: readonly Measurement[]): TargetCheck[] {
  return TARGETS.map((t) => {
    const d = findMeasurement(all, 'distdb', t.workload, t.clients);
    const o = findMeasurement(all, t.other, t.workload, t.clients);
    if (!d || !o) {
      const missing = [!d && 'distdb', !o && t.other].filter(Boolean).join(' and ');
      return {
        target: t.target,
        status: 'not measured',
        detail: `no ${missing} run of ${t.workload} with ${t.clients} client${t.clients === 1 ? '' : 's'}`,
      };
    }
    const parts: string[] = [];
    let met = true;
    if (t.minOpsRatio !== undefined) {
      const r = ratio(d.opsPerSec, o.opsPerSec);
      met &&= r !== null && r >= t.minOpsRatio;
      parts.push(
        `ops/s ${ops(d.opsPerSec)} vs ${ops(o.opsPerSec)} = ${r === null ? 'n/a' : `${r.toFixed(2)}×`} (need ≥ ${t.minOpsRatio}×)`,
      );
    }
    if (t.latencyNoWorse !== undefined) {
      const p = t.latencyNoWorse;
      met &&= d.latencyMs[p] <= o.latencyMs[p];
      parts.push(`${p} ${ms(d.latencyMs[p])} vs ${ms(o.latencyMs[p])} ms (need ≤)`);
    }
    return { target: t.target, status: met ? 'met' : 'not met', detail: parts.join('; ') };
  });
}
