// A metric whose values are read when Prometheus scrapes, from numbers the
// node keeps anyway (its statistics, Raft status, the storage engine's
// counters) or from series kept in typed arrays: nothing is recorded twice
// and the hot path never touches prom-client.

import type { Metric, Registry } from 'prom-client';

export interface ScrapedValue {
  /** The series name when it differs from the metric's (a histogram's _bucket, _sum, _count). */
  metricName?: string;
  labels?: Record<string, string | number>;
  value: number;
}

interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: () => ScrapedValue[] | Promise<ScrapedValue[]>;
}

/** Registers `m`; its values are computed at every scrape. */
export function registerScraped(registry: Registry, m: ScrapedMetric): void {
  const metric = {
    name: m.name,
    help: m.help,
    type: m.type,
    aggregator: 'sum',
    get: async () => ({
      name: m.name,
      help: m.help,
      type: m.type,
      aggregator: 'sum',
      values: await m.values(),
    }),
  };
  // The registry renders any object of this shape (name, help, type, get());
  // its declared type lists only prom-client's own classes.
  registry.registerMetric(metric as unknown as Metric);
}

/** Registers a counter read from `read()` at every scrape. */
export function registerScrapedCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): void {
  registerScraped(registry, { name, help, type: 'counter', values: () => [{ value: read() }] });
}
