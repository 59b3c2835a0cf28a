// The printed report: one table per workload and client count with each
// system's figures and distdb's ratios to etcd and Redis, then the targets.

import { formatMs, formatOps, formatRatio } from './format.js';
import { otherProcessCpus } from './machine-cpu.js';
import { groupBy, SATURATED_BUSY, type Measurement } from './measurement.js';
import { formatRoundSpread } from './rounds.js';
import { ratio, type TargetCheck } from './targets.js';
import type { Workload } from './workload.js';

const HEADER = [
  'system',
  'ops/s',
  'p50 ms',
  'p99 ms',
  'p999 ms',
  'errors',
  'server CPU s',
  'loadgen CPU s',
  'loadgen busy',
];

function row(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(HEADER[i]!.length + 2))).join('');
}

/**
 * The table of one workload at one client count; `group` holds that
 * combination's measurements (each system's median round), `everyRound`
 * all of its rounds when there were several.
 */
export function formatGroup(
  workload: Workload,
  clients: number,
  group: readonly Measurement[],
  everyRound: readonly Measurement[] = group,
): string {
  const first = group[0];
  const lines = [
    `${workload}, ${clients} client${clients === 1 ? '' : 's'}` +
      (first ? ` (${first.seconds} s measured)` : ''),
    row(HEADER),
  ];
  for (const m of group) {
    lines.push(
      row([
        m.system,
        formatOps(m.opsPerSec),
        formatMs(m.latencyMs.p50),
        formatMs(m.latencyMs.p99),
        formatMs(m.latencyMs.p999),
        String(m.errors),
        m.cpuSeconds.servers.toFixed(2),
        m.cpuSeconds.loadGenerator.toFixed(2),
        `${Math.round(m.loadGeneratorBusy * 100)}%`,
      ]),
    );
  }
  const distdb = group.find((m) => m.system === 'distdb');
  if (everyRound.length > group.length) lines.push(formatRoundSpread(everyRound));
  for (const other of group) {
    if (!distdb || other === distdb) continue;
    lines.push(
      row([
        `distdb/${other.system}`,
        formatRatio(ratio(distdb.opsPerSec, other.opsPerSec)),
        formatRatio(ratio(distdb.latencyMs.p50, other.latencyMs.p50)),
        formatRatio(ratio(distdb.latencyMs.p99, other.latencyMs.p99)),
        formatRatio(ratio(distdb.latencyMs.p999, other.latencyMs.p999)),
      ]),
    );
  }
  for (const m of group) {
    const perOp = cpuPerOp(m);
    if (perOp !== null) lines.push(`  ${m.system} server CPU per op: ${perOp}`);
    lines.push(...machineLines(m));
    if (m.errors > 0) lines.push(`  ${m.system}: ${m.errors} errors, the first: ${m.firstError}`);
    if (m.loadGeneratorBusy >= SATURATED_BUSY) {
      lines.push(
        `  ${m.system}: the load generator was busy ${Math.round(m.loadGeneratorBusy * 100)}% of the window — it, not ${m.system}, may have been the limit`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Each server process's CPU per operation, in µs, and their sum: where a
 * system's CPU goes (for distdb: coordinators against storage engines,
 * leader against followers). Null when nothing was done or nothing was metered.
 */
export function cpuPerOp(m: Measurement): string | null {
  const procs = m.cpuSeconds.byProcess;
  if (m.ops === 0 || procs.length === 0) return null;
  const us = (seconds: number): string => String(Math.round((seconds * 1e6) / m.ops));
  const parts = procs.map((p) => `${p.name} ${us(p.seconds)}`);
  return `${parts.join(', ')}; in all ${us(m.cpuSeconds.servers)} µs`;
}

/** Above this many CPUs used by other programs, a run's figures are flagged as disturbed. */
export const DISTURBED_CPUS = 0.1;

/**
 * How busy the machine was during a run and who used it, and a warning when
 * other programs took a noticeable share; nothing for results files written
 * before the machine was measured.
 */
export function machineLines(m: Measurement): string[] {
  const machine = m.cpuSeconds.machine;
  if (machine === undefined || machine.capacity <= 0) return [];
  const cpus = (seconds: number): string => (seconds / m.seconds).toFixed(2);
  const other = otherProcessCpus(machine, m.cpuSeconds, m.seconds);
  const busy = Math.round((100 * (machine.processes + machine.interrupts)) / machine.capacity);
  const lines = [
    `  ${m.system} machine: ${busy}% busy; in CPUs: servers ${cpus(m.cpuSeconds.servers)}, ` +
      `load generator ${cpus(m.cpuSeconds.loadGenerator)}, interrupts ${cpus(machine.interrupts)}, ` +
      `other programs ${other.toFixed(2)}`,
  ];
  if (other > DISTURBED_CPUS) {
    lines.push(
      `  ${m.system}: other programs used ${other.toFixed(2)} CPUs during this run, so its figures are low and noisy`,
    );
  }
  return lines;
}

/** One table's measurements: a workload at a client count. */
const tableKey = (m: Measurement): string => `${m.workload}\0${m.clients}`;

/**
 * Every group, in the order workload → client count, each table followed by
 * a blank line. `all` holds one measurement per system and group (the median
 * round's), `everyRound` every round's.
 */
export function formatReport(
  all: readonly Measurement[],
  everyRound: readonly Measurement[] = all,
): string {
  const groups = groupBy(all, tableKey);
  const rounds = groupBy(everyRound, tableKey);
  const order = (g: Measurement[]): [number, number] => [
    ['put', 'get', 'mixed'].indexOf(g[0]!.workload),
    g[0]!.clients,
  ];
  return [...groups.values()]
    .sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1])
    .map((g) => {
      const first = g[0]!;
      return formatGroup(first.workload, first.clients, g, rounds.get(tableKey(first))) + '\n';
    })
    .join('\n');
}

export function formatTargets(checks: readonly TargetCheck[], rounds = 1): string {
  const width = Math.max(...checks.map((c) => c.target.length));
  return [
    `issue 5's targets (${rounds > 1 ? `median of ${rounds} rounds` : 'this run'}):`,
    ...checks.map(
      (c) => `  ${c.target.padEnd(width)}  ${c.status.toUpperCase().padEnd(12)}  ${c.detail}`,
    ),
  ].join('\n');
}
