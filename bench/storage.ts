// Storage engine benchmark: closed-loop writers applying 100-byte puts through
// connectStorage (one pipelined connection), at each concurrency for a few
// seconds; prints ops/s, latency percentiles and commits/s (group commit).
//
//   node dist/bench/storage.js [--seconds 3] [--concurrency 1,64] [--value-size 100] [--socket <path>]
//
// Without --socket it starts its own `distdb storage` on a temporary directory.

import { connectStorage, type StorageClient } from '../src/storage/client.js';
import { LatencyHistogram } from './histogram.js';
import { ownEngine } from './own-engine.js';
import { refuse, scriptOptions } from './script-options.js';

async function run(
  c: StorageClient,
  concurrency: number,
  seconds: number,
  valueSize: number,
): Promise<void> {
  const value = Buffer.alloc(valueSize, 'v');
  const hist = new LatencyHistogram();
  const before = await c.stats(0);
  const start = performance.now();
  const end = start + seconds * 1000;
  let ops = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; performance.now() < end; i++) {
      const key = Buffer.from(`bench-${concurrency}-${w}-${i}`);
      const t0 = performance.now();
      await c.apply(0, [{ command: { op: 'put', key, value } }], 0);
      hist.record(performance.now() - t0);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - start) / 1000;
  const after = await c.stats(0);
  const commits = (after.commits ?? 0) - (before.commits ?? 0);
  const ms = (p: number): string => hist.percentile(p).toFixed(2);
  console.log(
    `concurrency ${String(concurrency).padStart(3)}: ${Math.round(ops / elapsed)} ops/s  ` +
      `p50 ${ms(50)} ms  p99 ${ms(99)} ms  p999 ${ms(99.9)} ms  ` +
      `${Math.round(commits / elapsed)} commits/s  (${(ops / Math.max(commits, 1)).toFixed(1)} writes/commit)`,
  );
}

async function main(): Promise<void> {
  const usage = {
    name: 'storage',
    run: 'node dist/bench/storage.js',
    about:
      'Storage engine benchmark: closed-loop writers applying puts through one pipelined\n' +
      'storage connection, for a few seconds at each concurrency; prints ops/s, latency\n' +
      'percentiles and commits/s (group commit). Without --socket it starts its own\n' +
      '`distdb storage` on a temporary directory.',
  };
  const values = scriptOptions(usage, {
    seconds: { value: '<s>', help: 'measured time per concurrency', default: '3' },
    concurrency: { value: '<list>', help: 'comma-separated writer counts', default: '1,64' },
    'value-size': { value: '<bytes>', help: 'bytes of each value', default: '100' },
    socket: { value: '<path>', help: "a running engine's socket (default: start one)" },
  });
  const seconds = Number(values.seconds);
  const levels = values.concurrency.split(',').map(Number);
  const valueSize = Number(values['value-size']);
  if (!(seconds > 0) || levels.some((n) => !(n >= 1)) || !(valueSize >= 0)) {
    refuse(
      usage,
      '--seconds and --concurrency (comma-separated) must be positive numbers, --value-size at least 0',
    );
  }
  const engine = values.socket ? null : await ownEngine();
  const c = await connectStorage(values.socket ?? (engine?.socket as string));
  try {
    console.log(`storage engine benchmark: ${valueSize}-byte puts, ${seconds} s per level`);
    for (const n of levels) await run(c, n, seconds, valueSize);
  } finally {
    await c.close();
    await engine?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
