// A Jepsen-style run against a real 3-node cluster: concurrent clients spread
// over ALL nodes do get / put / compare-and-set on a few keys, and get /
// increment on a few counters, while the nemesis kills, pauses and partitions
// nodes; then everything is healed, the
// cluster settles, each key is read once more (linearizably) and from every
// node's local state. The recorded history must pass the linearizability
// checker, and every node must hold the same final values.
// Used by test/fault/jepsen.test.ts (short) and scripts/jepsen.js (long).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryRecorder } from '../../src/check/history.js';
import type { CheckResult } from '../../src/check/linearizability.js';
import { Prng } from '../../src/sim/prng.js';
import { TestCluster } from './cluster-harness.js';
import { FAULT_OUT_DIR } from './fault-fixture.js';
import { clearRules, iptablesProblem, resetFirewall } from './iptables.js';
import { lockNetwork } from './machine-lock.js';
import {
  ALL_FAULTS,
  NETWORK_FAULTS,
  planFaults,
  runNemesis,
  type FaultEvent,
  type NemesisState,
} from './nemesis.js';
import { historySummary, judgeHistory, RecordedClient } from './recorded-client.js';

export interface JepsenOptions {
  seed: number;
  /** How long clients and the nemesis run, in ms. */
  durationMs: number;
  /** Concurrent clients (default 6), spread round-robin over the nodes. */
  clients?: number;
  /** Cluster size (default 3). */
  nodes?: number;
  /**
   * Clients go to the first this many nodes only (default all): with one,
   * a follower without clients is one its leader sends lazily (cluster.md,
   * Lazy followers), so the faults meet that path too.
   */
  clientNodes?: number;
  /** Every node reads on the leader's lease (--read-lease; docs/cluster.md, Lease reads). */
  readLease?: boolean;
  /** Keys the clients share for get / put / cas (default 5). */
  keys?: number;
  /** Counters the clients share for get / incr (default 2). An increment
   *  retried after a lost answer must not count twice. */
  counters?: number;
  /** Where the history and node logs go on failure (default $TMPDIR/distdb-fault). */
  outDir?: string;
  /** Progress lines (about every 5 s) and notes. */
  log?: (line: string) => void;
  /** Longest pause between two operations of one client, in ms (default 20). */
  thinkMs?: number;
}

export interface JepsenReport {
  seed: number;
  ok: boolean;
  /** Every reason the run failed, in words. */
  problems: string[];
  check: CheckResult;
  checkReport: string;
  summary: string;
  faults: FaultEvent[];
  /** Where the history was written (on failure). */
  historyPath: string;
  logsPath: string | null;
  /** Longest stretch without any successful operation, in ms. */
  longestOutageMs: number;
  /** The errors clients saw, by text (numbers masked), most frequent first. */
  errors: Array<[string, number]>;
}

export async function runJepsen(o: JepsenOptions): Promise<JepsenReport> {
  const log = o.log ?? ((): void => undefined);
  const outDir = o.outDir ?? FAULT_OUT_DIR;
  mkdirSync(outDir, { recursive: true });
  const stamp = `seed${o.seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const historyPath = join(outDir, `history-${stamp}.json`);

  const noIptables = iptablesProblem();
  const kinds = noIptables ? ALL_FAULTS.filter((k) => !NETWORK_FAULTS.includes(k)) : ALL_FAULTS;
  const unlock = await lockNetwork(undefined, log);
  if (noIptables) log(`jepsen: no partitions in this run: ${noIptables}`);
  else resetFirewall();

  const plan = planFaults({ seed: o.seed, totalMs: o.durationMs, kinds });
  // Frequent snapshots, so restarted nodes also catch up from snapshots.
  const cluster = await TestCluster.start({
    name: `jepsen${o.seed}`,
    size: o.nodes ?? 3,
    extraArgs: ['--snapshot-every', '100', ...(o.readLease === true ? ['--read-lease'] : [])],
  }).catch((e: unknown) => {
    unlock();
    throw e;
  });
  const recorder = new HistoryRecorder();
  const problems: string[] = [];
  const registers = Array.from({ length: o.keys ?? 5 }, (_, i) => `jk${i}`);
  const counters = Array.from({ length: o.counters ?? 2 }, (_, i) => `jn${i}`);
  const keys = [...registers, ...counters];
  const state: NemesisState = { current: 'none', events: [] };
  const errorTally = new Map<string, number>();
  let logsPath: string | null = null;
  let lastOk = performance.now();
  let longestOutageMs = 0;
  const noteOk = (): void => {
    const now = performance.now();
    longestOutageMs = Math.max(longestOutageMs, now - lastOk);
    lastOk = now;
  };
  let progress: NodeJS.Timeout | undefined;
  try {
    const stop = new AbortController();
    const t0 = performance.now();
    progress = setInterval(() => {
      const s = Math.round((performance.now() - t0) / 1000);
      log(`jepsen seed=${o.seed} t=${s}s fault=${state.current} ${historySummary(recorder)}`);
    }, 5000);
    const workers = Array.from({ length: o.clients ?? 6 }, (_, i) =>
      worker(
        cluster,
        recorder,
        errorTally,
        i,
        i % Math.min(o.clientNodes ?? Infinity, cluster.nodes.length),
        registers,
        counters,
        new Prng(o.seed * 31 + i),
        o.thinkMs ?? 20,
        stop.signal,
        noteOk,
      ),
    );
    // A nemesis that breaks (e.g. iptables fails) ends the run early, healed.
    const nemesis = runNemesis(cluster, plan, state, stop.signal).catch((e: unknown) => {
      problems.push(`the nemesis failed: ${(e as Error).message}`);
      stop.abort();
    });
    await sleep(o.durationMs, undefined, { signal: stop.signal }).catch(() => undefined);
    stop.abort();
    await nemesis;
    await Promise.all(workers);
    clearInterval(progress);
    log(`jepsen: clients stopped; faults: ${state.events.length / 2}; ${historySummary(recorder)}`);

    // Settle: a leader, every node caught up, then the final reads.
    await cluster.waitForLeader({ timeoutMs: 30_000 });
    const finals = await finalReads(cluster, recorder, keys);
    await cluster.waitConverged(undefined, 30_000);
    for (const n of cluster.nodes) {
      const local = await cluster.readLocal(n.id, keys);
      for (const k of keys) {
        if (local.get(k) !== finals.get(k)) {
          problems.push(
            `${n.id} holds ${k}=${JSON.stringify(local.get(k))} after converging, but a linearizable read returned ${JSON.stringify(finals.get(k))}`,
          );
        }
      }
    }
  } catch (e) {
    problems.push(`the run broke off: ${(e as Error).message}`);
  } finally {
    clearInterval(progress);
    if (!noIptables) clearRules();
  }
  const { result, report } = judgeHistory(recorder, historyPath);
  if (result.verdict !== 'ok') problems.push(report);
  else if (problems.length > 0) writeFileSync(historyPath, JSON.stringify(recorder.toJSON()));
  if (problems.length > 0) {
    logsPath = cluster.saveLogs(join(outDir, `nodes-${stamp}.log`));
  }
  await cluster.stop();
  unlock();
  return {
    seed: o.seed,
    ok: problems.length === 0,
    problems,
    check: result,
    checkReport: report,
    summary: historySummary(recorder),
    faults: state.events,
    historyPath,
    logsPath,
    longestOutageMs: Math.round(longestOutageMs),
    errors: [...errorTally].sort((a, b) => b[1] - a[1]),
  };
}

/** One client: its own connection to node `nodeIndex`, random operations until stopped. */
async function worker(
  cluster: TestCluster,
  recorder: HistoryRecorder,
  errorTally: Map<string, number>,
  index: number,
  nodeIndex: number,
  keys: readonly string[],
  counters: readonly string[],
  rng: Prng,
  thinkMs: number,
  stop: AbortSignal,
  noteOk: () => void,
): Promise<void> {
  const node = cluster.nodes[nodeIndex]!;
  // Longer than the nodes' 5 s request timeout: their clear answer comes before ours.
  const client = await cluster.client(node.id, 6000);
  const rc = new RecordedClient(recorder, client, `c${index}`, errorTally);
  /** The last value this client saw per key: a plausible `expected` for CAS. */
  const seen = new Map<string, string>();
  let seq = 0;
  try {
    while (!stop.aborted) {
      const counter = counters.length > 0 && rng.chance(0.3);
      const key = rng.pick(counter ? counters : keys);
      const roll = rng.next();
      const value = `c${index}-${++seq}`;
      let r;
      if (counter) {
        // Mostly INCR; sometimes another step, down or none, so that
        // answers are not simply each client's count.
        r =
          roll < 0.35
            ? await rc.get(key)
            : await rc.incr(key, rng.chance(0.8) ? 1 : rng.int(7) - 3);
      } else if (roll < 0.45) {
        r = await rc.get(key);
        if (r.status === 'ok' && r.value !== null) seen.set(key, r.value);
      } else if (roll < 0.75) {
        r = await rc.put(key, value);
        if (r.status === 'ok') seen.set(key, value);
      } else {
        const expected = seen.get(key) ?? `c${index}-0`;
        r = await rc.cas(key, expected, value);
        if (r.status === 'ok' && r.value) seen.set(key, value);
      }
      if (r.status === 'ok') noteOk();
      // A node that is down refuses at once: back off instead of spinning.
      const pause = r.status === 'ok' ? rng.int(thinkMs + 1) : 50 + rng.int(100);
      if (pause > 0) await sleep(pause);
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * After healing: a linearizable read of each key (recorded, retried until it
 * answers) — the values every node must hold once converged.
 */
async function finalReads(
  cluster: TestCluster,
  recorder: HistoryRecorder,
  keys: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const node = cluster.nodes[0]!;
  const client = await cluster.client(node.id, 5000);
  const rc = new RecordedClient(recorder, client, 'final');
  try {
    for (const k of keys) {
      const until = performance.now() + 30_000;
      while (true) {
        const r = await rc.get(k);
        if (r.status === 'ok') {
          out.set(k, r.value);
          break;
        }
        if (performance.now() > until) {
          throw new Error(`final read of ${k} kept failing: ${r.error.message}`);
        }
        await sleep(200);
      }
    }
  } finally {
    await client.close();
  }
  return out;
}
