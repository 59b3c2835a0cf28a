// A Prometheus histogram's counts for one label set, kept in a typed array:
// observing is a short bucket search and three additions, no allocation
// (prom-client's labelled histogram builds a label object and a hash string
// on every observe). Exported at scrape time (see scraped-metric.ts).

import type { ScrapedValue } from './scraped-metric.js';

/** Latency buckets, in seconds: 100 µs to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Batch-size buckets (entries, writes): 1 to 4096. */
export const BATCH_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

export class HistogramSeries {
  /** counts[i]: observations in bucket i (not cumulative); the last one is above every bound. */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    private readonly labels: Record<string, string>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  /** The _bucket (cumulative), _sum and _count series of metric `name`. */
  values(name: string): ScrapedValue[] {
    const labels = this.labels;
    const out: ScrapedValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i] as number;
      out.push({
        metricName: `${name}_bucket`,
        labels: { ...labels, le: this.bounds[i] as number },
        value: cumulative,
      });
    }
    out.push(
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count },
      { metricName: `${name}_sum`, labels, value: this.sum },
      { metricName: `${name}_count`, labels, value: this.count },
    );
    return out;
  }
}
