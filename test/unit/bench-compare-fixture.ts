// A made-up measurement for the harness's unit tests.

import type { Measurement } from '../../bench/compare/measurement.js';
import type { SystemName } from '../../bench/compare/systems/system.js';
import type { Workload } from '../../bench/compare/workload.js';

/** p999 is twice p99, max three times; 1 s of load-generator CPU, 2 s of server CPU (1.5 s in a, 0.5 s in b), 20% busy. */
export function m(
  system: SystemName,
  workload: Workload,
  clients: number,
  opsPerSec: number,
  p50 = 1,
  p99 = 2,
): Measurement {
  return {
    system,
    workload,
    clients,
    seconds: 5,
    ops: opsPerSec * 5,
    opsPerSec,
    errors: 0,
    firstError: null,
    latencyMs: { p50, p99, p999: p99 * 2, max: p99 * 3, mean: p50 },
    cpuSeconds: {
      loadGenerator: 1,
      servers: 2,
      byProcess: [
        { name: 'a', seconds: 1.5 },
        { name: 'b', seconds: 0.5 },
      ],
    },
    loadGeneratorBusy: 0.2,
  };
}
