// The closed loop: every client has one request in flight and sends the next
// when the reply arrives, on a key drawn uniformly; a warm-up that is not
// measured, then a fixed measured window. The requests that complete inside
// the window count (with their whole latency, even if sent just before it),
// so ops/s is completions over the window, unbiased in the steady state.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from '../histogram.js';
import type { KvConnection } from './driver.js';
import { randomKey } from './keyspace.js';
import { MIXED_READ_SHARE, type Workload } from './workload.js';

export interface LoopSettings {
  workload: Workload;
  keyCount: number;
  warmupMs: number;
  durationMs: number;
  /** Called when the measured window opens and closes (to read CPU meters). */
  onWindowStart(): void;
  onWindowEnd(): void;
}

export interface LoopOutcome {
  latency: LatencyHistogram;
  errors: number;
  firstError: string | null;
  /** When the loop began (performance.now()), for a progress display. */
  startedAt: number;
  measureFrom: number;
  measureTo: number;
}

/** Starts the loop on `conns`; `outcome` is live (for a progress bar), `done` resolves when every client has stopped. */
export function runClosedLoop(
  conns: readonly KvConnection[],
  s: LoopSettings,
): { outcome: LoopOutcome; done: Promise<void> } {
  const startedAt = performance.now();
  const outcome: LoopOutcome = {
    latency: new LatencyHistogram(),
    errors: 0,
    firstError: null,
    startedAt,
    measureFrom: startedAt + s.warmupMs,
    measureTo: startedAt + s.warmupMs + s.durationMs,
  };
  const { measureFrom, measureTo } = outcome;
  setTimeout(s.onWindowStart, s.warmupMs);
  const windowClosed = sleep(s.warmupMs + s.durationMs).then(s.onWindowEnd);

  const client = async (c: KvConnection): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= measureTo) return;
      const k = randomKey(s.keyCount);
      const read =
        s.workload === 'get' || (s.workload === 'mixed' && Math.random() < MIXED_READ_SHARE);
      let failure: string | null = null;
      try {
        await (read ? c.get(k) : c.put(k));
      } catch (e) {
        failure = (e as Error).message;
      }
      const t1 = performance.now();
      const inWindow = t1 >= measureFrom && t1 <= measureTo;
      if (failure !== null) {
        if (inWindow) outcome.errors++;
        outcome.firstError ??= failure;
        await sleep(10); // a broken connection must not spin
      } else if (inWindow) {
        outcome.latency.record(t1 - t0);
      }
    }
  };
  // Clients never throw (failures are counted), so this settles when the last one stops.
  const done = Promise.all([windowClosed, ...conns.map(client)]).then(() => undefined);
  return { outcome, done };
}
