// A steady stream of writes through one node, each to a key of its own, so
// that afterwards every acknowledged write can be looked for on every node.
// Keeps what was acknowledged, what was attempted, when acknowledgements
// came, and the error replies seen (the "clear error" the cluster owes).

import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryRecorder } from '../../src/check/history.js';
import { ReplyError } from '../../src/index.js';
import type { TestCluster } from './cluster-harness.js';
import { RecordedClient } from './recorded-client.js';

/** Writes made through one node: what was acknowledged and what was attempted. */
export interface AckLog {
  readonly nodeId: string;
  readonly acked: ReadonlyMap<string, string>;
  readonly attempted: readonly string[];
}

export class WriteLoad implements AckLog {
  /** key → value of every acknowledged write. */
  readonly acked = new Map<string, string>();
  /** Every key a write was sent for (acknowledged or not). */
  readonly attempted: string[] = [];
  /** When each acknowledged write was sent and acknowledged (performance.now()), in order. */
  readonly acks: Array<{ sentAt: number; ackedAt: number }> = [];
  /** Error replies by text (code word and sentence), with how often each came. */
  readonly replyErrors = new Map<string, number>();
  /** Timeouts and connection errors. */
  otherErrors = 0;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly cluster: TestCluster,
    readonly nodeId: string,
    private readonly prefix: string,
    private readonly recorder: HistoryRecorder,
    private readonly timeoutMs = 6000,
  ) {}

  start(): this {
    this.running = this.loop();
    this.cluster.onStop(() => this.stop());
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** When the first write sent at or after `t` was acknowledged, or null. */
  firstAckAfter(t: number): number | null {
    return this.acks.find((a) => a.sentAt >= t)?.ackedAt ?? null;
  }

  /** How many writes sent at or after `t` were acknowledged. */
  ackedSentSince(t: number): number {
    return this.acks.filter((a) => a.sentAt >= t).length;
  }

  /** Resolves once `n` more writes were acknowledged (or after `ms`: false). */
  async waitAcks(n: number, ms = 30_000): Promise<boolean> {
    const target = this.acked.size + n;
    const until = performance.now() + ms;
    while (this.acked.size < target) {
      if (performance.now() > until) return false;
      await sleep(20);
    }
    return true;
  }

  private async loop(): Promise<void> {
    const client = await this.cluster.client(this.nodeId, this.timeoutMs);
    const rc = new RecordedClient(this.recorder, client, `${this.prefix}-writer`);
    let seq = 0;
    try {
      while (!this.stopped) {
        const key = `${this.prefix}:${++seq}`;
        const value = `${this.prefix}-v${seq}`;
        this.attempted.push(key);
        const sentAt = performance.now();
        const r = await rc.put(key, value);
        if (r.status === 'ok') {
          this.acked.set(key, value);
          this.acks.push({ sentAt, ackedAt: performance.now() });
          await sleep(2);
          continue;
        }
        if (r.error instanceof ReplyError) {
          const text = r.error.message;
          this.replyErrors.set(text, (this.replyErrors.get(text) ?? 0) + 1);
        } else {
          this.otherErrors++;
        }
        await sleep(50);
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

/** The distinct error replies seen, most frequent first, and the count of others, for messages. */
export function describeErrors(load: WriteLoad): string {
  return [
    ...[...load.replyErrors].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${n}x ${text}`),
    `${load.otherErrors}x timeout or connection error`,
  ].join('\n');
}

/**
 * After the cluster converged: every acknowledged write is on every node
 * with its value, and all nodes agree on every attempted key. Returns the
 * problems found, in words (empty: all good).
 */
export async function findLostWrites(
  cluster: TestCluster,
  loads: readonly AckLog[],
): Promise<string[]> {
  await cluster.waitConverged();
  const keys = loads.flatMap((l) => l.attempted);
  const problems: string[] = [];
  const byNode = new Map<string, Map<string, string | null>>();
  for (const n of cluster.nodes) byNode.set(n.id, await cluster.readLocal(n.id, keys));
  for (const load of loads) {
    for (const [key, value] of load.acked) {
      for (const [id, local] of byNode) {
        const got = local.get(key);
        if (got !== value) {
          problems.push(
            `acknowledged ${key}=${value} (through ${load.nodeId}) reads ${JSON.stringify(got)} on ${id}`,
          );
        }
      }
    }
  }
  const [first, ...rest] = [...byNode];
  for (const key of keys) {
    for (const [id, local] of rest) {
      if (first && local.get(key) !== first[1].get(key)) {
        problems.push(
          `nodes disagree on ${key}: ${first[0]} has ${JSON.stringify(first[1].get(key))}, ${id} has ${JSON.stringify(local.get(key))}`,
        );
      }
    }
  }
  return problems;
}
