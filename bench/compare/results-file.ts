// The results file: every measurement of the run with the machine and the
// settings it ran under, as JSON, and the chart next to it as SVG.

import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Measurement } from './measurement.js';
import type { CompareOptions } from './options.js';
import { renderChart } from './svg-chart.js';
import type { SystemName } from './systems/system.js';
import type { TargetCheck } from './targets.js';

export interface SystemInfo {
  version: string;
  endpoint: string;
}

export interface ResultsFile {
  tool: 'distdb bench:compare';
  startedAt: string;
  finishedAt: string;
  argv: string[];
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    /** 1, 5 and 15 minute load averages when the run began: how busy the machine already was. */
    loadAverageAtStart: number[];
    node: string;
  };
  settings: CompareOptions;
  systems: Partial<Record<SystemName, SystemInfo>>;
  /** One per system, workload and client count: with --rounds, the median round's. */
  measurements: Measurement[];
  /** With --rounds above 1: every round's measurements. */
  everyRound?: Measurement[];
  targets: TargetCheck[];
  /** Systems that failed to start or to run; their measurements before the failure are kept. */
  failures: Array<{ system: SystemName; error: string }>;
}

export function machineInfo(): ResultsFile['machine'] {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  };
}

/** A warning when the machine was already busy as the run began (load average above half its CPUs), else null. */
export function loadWarning(machine: ResultsFile['machine']): string | null {
  const load = machine.loadAverageAtStart[0] ?? 0;
  if (load <= machine.cpus / 2) return null;
  return (
    `note: the load average was ${load} on ${machine.cpus} CPUs when the run began: other work ` +
    'was taking CPU from the servers and the load generator, so these figures are low and noisy.'
  );
}

/** `bench/results/2026-11-26-0930.json` for a run begun then (UTC). */
export function defaultResultName(d: Date): string {
  const iso = d.toISOString(); // 2026-11-26T09:30:12.345Z
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}.json`;
}

/** Writes the JSON at `path` and the chart beside it (same name, .svg); returns the chart's path. */
export function writeResults(path: string, results: ResultsFile): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  const svg = path.replace(/\.json$/, '') + '.svg';
  const title = `distdb vs etcd vs Redis — ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.machine.cpus} CPUs, ${results.settings.durationSec} s per run`;
  writeFileSync(svg, renderChart(results.measurements, title));
  return svg;
}
