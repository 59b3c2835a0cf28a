// What a seed runs when the command line does not say: the fault mix and the
// cluster size both follow from the seed, so consecutive seeds cover every
// (mix, size) pair. The replay command spells every choice out.

import type { ReadOnlyOption } from '../raft/types.js';
import { FAULT_MIXES, findMix, mixForSeed } from './fault-mixes.js';
import { DEFAULT_COMPACT_EVERY, type SimOptions } from './simulation.js';

export const DEFAULT_STEPS = 3000;

export interface PlanOverrides {
  steps?: number;
  nodes?: number;
  mix?: string;
  reads?: ReadOnlyOption;
  earlySend?: boolean;
  compactEvery?: number;
  lazySnapshots?: boolean;
}

export function planRun(seed: number, o: PlanOverrides = {}): SimOptions {
  const mixes = FAULT_MIXES.length;
  const m = o.mix !== undefined ? findMix(o.mix) : mixForSeed(seed);
  const nodes = o.nodes ?? (Math.floor(seed / mixes) % 2 === 0 ? 3 : 5);
  if (nodes !== 3 && nodes !== 5) throw new Error(`--nodes must be 3 or 5, got ${nodes}`);
  // Every other round of seeds reads on the leader's lease.
  const reads = o.reads ?? (Math.floor(seed / (2 * mixes)) % 2 === 1 ? 'lease' : 'safe');
  if (reads !== 'safe' && reads !== 'lease') {
    throw new Error(`--reads must be safe or lease, got ${String(reads)}`);
  }
  // Every other block of seeds, leaders replicate while writing their own log.
  const leaderEarlySend = o.earlySend ?? Math.floor(seed / (4 * mixes)) % 2 === 1;
  // Every other larger block of seeds snapshots very often, so followers install many.
  const compactEvery = o.compactEvery ?? (Math.floor(seed / (8 * mixes)) % 2 === 1 ? 5 : 50);
  // Every other still larger block of seeds, leaders compact without the
  // snapshot's data and load it only when a follower needs it.
  const lazySnapshots = o.lazySnapshots ?? Math.floor(seed / (16 * mixes)) % 2 === 0;
  return {
    seed,
    steps: o.steps ?? DEFAULT_STEPS,
    nodes,
    mix: m,
    reads,
    leaderEarlySend,
    compactEvery,
    lazySnapshots,
  };
}

export function replayCommand(o: SimOptions): string {
  return (
    `npm run sim -- --seed ${o.seed} --steps ${o.steps} --nodes ${o.nodes} --mix ${o.mix.name}` +
    ` --reads ${o.reads ?? 'safe'} --early-send ${o.leaderEarlySend ? 'on' : 'off'}` +
    ` --compact-every ${o.compactEvery ?? DEFAULT_COMPACT_EVERY}` +
    ` --lazy-snapshots ${o.lazySnapshots ? 'on' : 'off'}`
  );
}
