// Repeated rounds of the whole run (--rounds N). One build's throughput moves
// ±25% between identical runs on a shared machine, more than the margin of
// some targets; so every system is measured N times, the systems alternating
// (distdb, etcd, redis, distdb, …) so that a slow spell of the machine falls
// on all of them, and each figure reported is one whole measurement: the
// median round's by ops/s. Its latencies and CPU belong to that same round.

import { formatOps } from './format.js';
import { groupBy, type Measurement } from './measurement.js';

/** The rounds of each system, workload and client count. */
function bySeries(all: readonly Measurement[]): Measurement[][] {
  return [...groupBy(all, (m) => `${m.system}\0${m.workload}\0${m.clients}`).values()];
}

/**
 * Of each system, workload and client count, the round with the median
 * ops/s (of an even count, the lower of the two middle ones), in the order
 * each series first appears.
 */
export function medianRounds(all: readonly Measurement[]): Measurement[] {
  return bySeries(all).map((s) => {
    const sorted = [...s].sort((a, b) => a.opsPerSec - b.opsPerSec);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  });
}

/** "ops/s by round: distdb 7,496 / 8,001 / 8,578; etcd …" for one workload and client count. */
export function formatRoundSpread(group: readonly Measurement[]): string {
  const parts = bySeries(group).map(
    (s) =>
      `${s[0]!.system} ` +
      [...s]
        .sort((a, b) => (a.round ?? 1) - (b.round ?? 1))
        .map((m) => formatOps(m.opsPerSec))
        .join(' / '),
  );
  return `  ops/s by round: ${parts.join('; ')}`;
}
