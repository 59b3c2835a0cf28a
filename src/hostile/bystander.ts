// The well-behaved client of the hostile-input tests and of npm run
// attack-report: it must keep being served, correctly, while others attack
// the same node; it times each command.

import { performance } from 'node:perf_hooks';
import { RawConnection, text } from './raw-connection.js';

export interface LatencySummary {
  /** Round trips (SET then GET) served. */
  ops: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * The well-behaved client: writes and reads back its own keys in a loop on
 * one connection, checking every reply, and times each command.
 */
export class Bystander {
  private running = true;
  private readonly latencies: number[] = [];
  private readonly waiters: Array<{ ops: number; wake: () => void }> = [];
  private loop: Promise<void> = Promise.resolve();
  /** The first wrong or missing reply, if any. */
  failure: string | null = null;
  ops = 0;
  private lapStartOps = 0;

  private constructor(private readonly conn: RawConnection) {}

  static async start(port: number): Promise<Bystander> {
    const b = new Bystander(await RawConnection.open(port));
    b.loop = b.run();
    return b;
  }

  private async run(): Promise<void> {
    try {
      for (let i = 0; this.running; i++) {
        const key = `bystander:${i % 64}`;
        const value = `value-${i}-${'b'.repeat(i % 100)}`;
        const set = await this.timed('SET', key, value);
        if (set !== 'OK') throw new Error(`SET ${key} → ${set}`);
        const got = await this.timed('GET', key);
        if (got !== value) throw new Error(`GET ${key} → ${got}, expected ${value}`);
        this.ops++;
        for (const w of this.waiters.filter((x) => x.ops <= this.ops)) w.wake();
      }
    } catch (err) {
      this.failure = (err as Error).message;
      for (const w of this.waiters) w.wake();
    }
  }

  private async timed(...args: string[]): Promise<string> {
    const t0 = performance.now();
    const reply = text(await this.conn.command(...args));
    this.latencies.push(performance.now() - t0);
    return reply;
  }

  /** Resolves once `n` more round trips have been served correctly; throws on a wrong reply. */
  async served(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.ops + n;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`bystander served ${this.ops} of ${target} round trips in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      this.waiters.push({
        ops: target,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    if (this.failure !== null) throw new Error(`bystander was served wrongly: ${this.failure}`);
  }

  /** Summarizes the commands timed since the last lap, and starts a new one. */
  lap(): LatencySummary {
    if (this.failure !== null) throw new Error(`bystander was served wrongly: ${this.failure}`);
    const sorted = this.latencies.splice(0).sort((a, b) => a - b);
    const ops = this.ops - this.lapStartOps;
    this.lapStartOps = this.ops;
    return {
      ops,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? 0,
    };
  }

  /** Stops the loop; summarizes the last lap. */
  async stop(): Promise<LatencySummary> {
    this.running = false;
    await this.loop;
    this.conn.close();
    return this.lap();
  }
}
