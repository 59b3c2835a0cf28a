// One benchmark run: closed-loop clients (each its own connection with one
// request in flight, the next sent when the reply arrives) doing puts, gets or
// a mix on a fixed key space, for a warm-up and then a measured duration.

import { performance } from 'node:perf_hooks';
import { connect, type Client, type ClientTlsOptions } from '../src/client/index.js';
import { LatencyHistogram } from './histogram.js';
import { ProgressBar } from './progress.js';

export type Workload = 'put' | 'get' | 'mixed';
export const WORKLOADS: readonly Workload[] = ['put', 'get', 'mixed'];

export interface RunSettings {
  host: string;
  port: number;
  /** AUTH credentials, for a node that requires them. */
  credentials: { user?: string; password?: string };
  /** Connect with TLS (--tls); undefined: plain TCP. */
  tls: ClientTlsOptions | undefined;
  workload: Workload;
  clients: number;
  valueSize: number;
  keys: number;
  /** Fraction of reads in the mixed workload. */
  readRatio: number;
  durationMs: number;
  warmupMs: number;
}

export interface RunResult {
  workload: Workload;
  clients: number;
  valueSize: number;
  keys: number;
  ops: number;
  errors: number;
  /** The first error seen, to say what went wrong. */
  firstError: string | null;
  seconds: number;
  opsPerSec: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number };
}

/** Keys `key:000000`... made once, so the loop allocates nothing per request. */
function makeKeys(n: number): Buffer[] {
  const width = String(n - 1).length;
  return Array.from({ length: n }, (_, i) => Buffer.from(`key:${String(i).padStart(width, '0')}`));
}

/** Writes every key once, so that gets find values. */
export async function preload(s: RunSettings): Promise<void> {
  const client = await connect({
    host: s.host,
    port: s.port,
    timeoutMs: 30_000,
    ...s.credentials,
    tls: s.tls,
  });
  try {
    const keys = makeKeys(s.keys);
    const value = Buffer.alloc(s.valueSize, 'v');
    const batch = 500;
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < keys.length; i += batch) {
      pending.push(client.mset(keys.slice(i, i + batch).map((k) => [k, value] as const)));
    }
    await Promise.all(pending);
  } finally {
    await client.close();
  }
}

export async function runWorkload(s: RunSettings): Promise<RunResult> {
  const keys = makeKeys(s.keys);
  const value = Buffer.alloc(s.valueSize);
  for (let i = 0; i < value.length; i++) value[i] = 97 + (i % 26);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < s.clients; i++) {
      clients.push(
        await connect({
          host: s.host,
          port: s.port,
          timeoutMs: 10_000,
          ...s.credentials,
          tls: s.tls,
        }),
      );
    }
    const hist = new LatencyHistogram();
    let errors = 0;
    let firstError: string | null = null;
    const start = performance.now();
    const measureFrom = start + s.warmupMs;
    const end = measureFrom + s.durationMs;

    const loop = async (client: Client): Promise<void> => {
      while (true) {
        const t0 = performance.now();
        if (t0 >= end) return;
        const key = keys[Math.floor(Math.random() * keys.length)] as Buffer;
        const read =
          s.workload === 'get' || (s.workload === 'mixed' && Math.random() < s.readRatio);
        let failed: string | null = null;
        try {
          const r = await client.raw(read ? ['GET', key] : ['SET', key, value]);
          if (r.type === 'error') failed = r.value;
        } catch (err) {
          failed = (err as Error).message;
        }
        const t1 = performance.now();
        if (t0 < measureFrom || t1 > end) continue; // warm-up, or finished after the end
        if (failed !== null) {
          errors++;
          firstError ??= failed;
        } else {
          hist.record(t1 - t0);
        }
      }
    };

    const bar = new ProgressBar();
    bar.start(
      `${s.workload} x${s.clients}`,
      () => (performance.now() - start) / (end - start),
      () => {
        const now = performance.now();
        if (now < measureFrom) return 'warming up';
        const secs = (Math.min(now, end) - measureFrom) / 1000;
        return `${Math.round(hist.count / Math.max(secs, 0.001)).toLocaleString('en-US')} ops/s`;
      },
    );
    try {
      await Promise.all(clients.map(loop));
    } finally {
      bar.stop();
    }
    const seconds = s.durationMs / 1000;
    return {
      workload: s.workload,
      clients: s.clients,
      valueSize: s.valueSize,
      keys: s.keys,
      ops: hist.count,
      errors,
      firstError,
      seconds,
      opsPerSec: hist.count / seconds,
      latencyMs: {
        p50: hist.percentile(50),
        p99: hist.percentile(99),
        p999: hist.percentile(99.9),
        max: hist.maxMs,
        mean: hist.meanMs,
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
