// The nemesis of the Jepsen-style test: a seeded schedule of faults (kill -9
// and restart, kill -9 of a storage engine, SIGSTOP/SIGCONT, cutting a node
// off with iptables, or cutting just one link so a third node bridges the
// two), one at a time, each healed after a bounded time, with
// quiet gaps between them. The plan is pure and reproducible from its seed;
// runNemesis carries it out against a TestCluster and always heals.

import { setTimeout as sleep } from 'node:timers/promises';
import { Prng } from '../../src/sim/prng.js';
import type { TestCluster } from './cluster-harness.js';
import { heal, partition } from './iptables.js';

export type FaultKind = 'kill' | 'kill-storage' | 'pause' | 'partition' | 'cut-link';
export const ALL_FAULTS: readonly FaultKind[] = [
  'kill',
  'kill-storage',
  'pause',
  'partition',
  'cut-link',
];
/** The faults that need iptables. */
export const NETWORK_FAULTS: readonly FaultKind[] = ['partition', 'cut-link'];

export interface PlannedFault {
  /** When to start, in ms after the nemesis starts. */
  atMs: number;
  /** How long the fault lasts before it is healed. */
  durationMs: number;
  kind: FaultKind;
  /** Aim at whoever leads at that moment, or at the node `pick` selects. */
  target: 'leader' | 'any';
  /** Chooses the node for target 'any' (index modulo the cluster size). */
  pick: number;
}

export interface NemesisOptions {
  seed: number;
  /** Every fault is started and healed within this many ms. */
  totalMs: number;
  kinds?: readonly FaultKind[];
  minFaultMs?: number;
  maxFaultMs?: number;
  minGapMs?: number;
  maxGapMs?: number;
}

/** Faults in time order, never overlapping, each ending by `totalMs`. */
export function planFaults(o: NemesisOptions): PlannedFault[] {
  const kinds = o.kinds ?? ALL_FAULTS;
  if (kinds.length === 0) return [];
  const minFault = o.minFaultMs ?? 1000;
  const maxFault = o.maxFaultMs ?? 4000;
  const minGap = o.minGapMs ?? 1000;
  const maxGap = o.maxGapMs ?? 3000;
  if (minFault > maxFault || minGap > maxGap || minFault < 0 || minGap < 0) {
    throw new Error('nemesis: each minimum must be >= 0 and <= its maximum');
  }
  const rng = new Prng(o.seed ^ 0x6e656d65);
  const out: PlannedFault[] = [];
  let t = rng.range(minGap, maxGap);
  while (true) {
    const durationMs = rng.range(minFault, maxFault);
    if (t + durationMs > o.totalMs) break;
    out.push({
      atMs: t,
      durationMs,
      kind: rng.pick(kinds),
      target: rng.chance(0.5) ? 'leader' : 'any',
      pick: rng.int(1 << 30),
    });
    t += durationMs + rng.range(minGap, maxGap);
  }
  return out;
}

export interface FaultEvent {
  atMs: number;
  text: string;
}

/** What a running nemesis is doing now, for progress lines. */
export interface NemesisState {
  current: string;
  events: FaultEvent[];
}

/**
 * Carries out `plan` against `cluster` until it ends or `stop` is aborted;
 * every fault is healed before it returns (restarts, SIGCONT, rules removed).
 */
export async function runNemesis(
  cluster: TestCluster,
  plan: readonly PlannedFault[],
  state: NemesisState,
  stop: AbortSignal,
): Promise<void> {
  const t0 = performance.now();
  const note = (text: string): void => {
    state.events.push({ atMs: Math.round(performance.now() - t0), text });
  };
  for (const f of plan) {
    const wait = f.atMs - (performance.now() - t0);
    if (wait > 0) await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) break;
    const id = await chooseTarget(cluster, f);
    const others = cluster.nodes.filter((n) => n.id !== id);
    // cut-link: the target loses its link to one other node only.
    const peer = others[f.pick % others.length]!;
    // partition: the target and as many more as still leave a majority on the other side.
    const minority = Math.floor((cluster.nodes.length - 1) / 2);
    const rotated = [
      ...others.slice(f.pick % others.length),
      ...others.slice(0, f.pick % others.length),
    ];
    const side = [cluster.node(id), ...rotated.slice(0, minority - 1)];
    const rest = others.filter((n) => !side.includes(n));
    const what =
      f.kind === 'cut-link'
        ? `${f.kind} ${id}-${peer.id}`
        : f.kind === 'partition'
          ? `${f.kind} ${side.map((n) => n.id).join('+')}`
          : `${f.kind} ${id}`;
    state.current = what;
    note(`start ${what} (${f.target}) for ${f.durationMs} ms`);
    try {
      if (f.kind === 'kill') await cluster.kill(id);
      else if (f.kind === 'kill-storage') cluster.killStorage(id);
      else if (f.kind === 'pause') cluster.pause(id);
      else if (f.kind === 'partition') {
        partition(
          side.map((n) => n.host),
          rest.map((n) => n.host),
        );
      } else partition([cluster.node(id).host], [peer.host]);
      await sleep(f.durationMs, undefined, { signal: stop }).catch(() => undefined);
    } finally {
      if (f.kind === 'kill') await cluster.restart(id);
      else if (f.kind === 'pause') cluster.resume(id);
      else if (NETWORK_FAULTS.includes(f.kind)) heal();
      state.current = 'none';
      note(`healed ${what}`);
    }
  }
}

/** The leader right now if the fault aims at it and one is known, else the picked node. */
async function chooseTarget(cluster: TestCluster, f: PlannedFault): Promise<string> {
  const fallback = cluster.nodes[f.pick % cluster.nodes.length]!.id;
  if (f.target !== 'leader') return fallback;
  let best: { id: string; term: number } | null = null;
  for (const s of (await cluster.statuses()).values()) {
    if (s?.role === 'leader' && (!best || s.term > best.term)) best = { id: s.id, term: s.term };
  }
  return best?.id ?? fallback;
}
