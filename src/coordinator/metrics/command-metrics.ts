// Per-command request counts and latency histograms. Each row of the command
// table has its own series, found by the row itself (a Map lookup, no string
// work); commands not in the table share one "unknown" series, so a client
// cannot grow the number of series.

import type { Registry } from 'prom-client';
import type { CommandSpec } from '../command-table.js';
import { HistogramSeries, LATENCY_BUCKETS } from './histogram-series.js';
import { registerScraped } from './scraped-metric.js';

/** The label of commands not in the table. */
const UNKNOWN_COMMAND = 'unknown';

interface Named {
  command: string;
  series: HistogramSeries;
}

export class CommandMetrics {
  private readonly bySpec = new Map<CommandSpec, HistogramSeries>();
  private readonly all: Named[] = [];
  private readonly unknown: HistogramSeries;

  constructor(commands: ReadonlyMap<string, CommandSpec>, registry: Registry) {
    for (const spec of commands.values()) {
      if (this.bySpec.has(spec)) continue; // an alias row
      const series = new HistogramSeries(LATENCY_BUCKETS, { command: spec.name });
      this.bySpec.set(spec, series);
      this.all.push({ command: spec.name, series });
    }
    this.unknown = new HistogramSeries(LATENCY_BUCKETS, { command: UNKNOWN_COMMAND });
    this.all.push({ command: UNKNOWN_COMMAND, series: this.unknown });
    registerScraped(registry, {
      name: 'distdb_commands_total',
      help: `Commands run, by command (those not in the command table count as "${UNKNOWN_COMMAND}")`,
      type: 'counter',
      values: () =>
        this.all.map((n) => ({ labels: { command: n.command }, value: n.series.count })),
    });
    registerScraped(registry, {
      name: 'distdb_command_duration_seconds',
      help: 'Time from reading a command to its reply being ready, by command',
      type: 'histogram',
      values: () => this.all.flatMap((n) => n.series.values('distdb_command_duration_seconds')),
    });
  }

  /** The series of a command's table row (undefined: not in the table). */
  series(spec: CommandSpec | undefined): HistogramSeries {
    return (spec && this.bySpec.get(spec)) ?? this.unknown;
  }
}
