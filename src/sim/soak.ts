// Runs a range of seeds and collects the failures with their replay
// commands: the soak command and the npm test budget both use it.

import type { SimBugs } from './bugs.js';
import { planRun, replayCommand, type PlanOverrides } from './seed-plan.js';
import { runSimulation, type SimResult } from './simulation.js';

export interface SoakFailure {
  result: SimResult;
  replay: string;
}

export interface SoakSummary {
  seeds: number;
  events: number;
  failures: SoakFailure[];
}

/** This runner's share of the seeds when `jobs` runners split a range: every jobs-th, from `index`. */
export interface Share {
  jobs: number;
  index: number;
}

export function runSeeds(
  start: number,
  count: number,
  overrides: PlanOverrides,
  onResult: (r: SimResult, failure: SoakFailure | null) => void = () => {},
  bugs: SimBugs = {},
  share: Share = { jobs: 1, index: 0 },
): SoakSummary {
  const summary: SoakSummary = { seeds: 0, events: 0, failures: [] };
  for (let seed = start + share.index; seed < start + count; seed += share.jobs) {
    const opts = planRun(seed, overrides);
    const result = runSimulation({ ...opts, bugs });
    summary.seeds++;
    summary.events += result.events;
    const failure = result.failure ? { result, replay: replayCommand(opts) } : null;
    if (failure) summary.failures.push(failure);
    onResult(result, failure);
  }
  return summary;
}

export function describeFailure(f: SoakFailure): string {
  const r = f.result;
  const failure = r.failure;
  if (!failure) return '';
  return (
    `FAILED seed ${r.seed}: ${failure.property} (at step ${failure.step}, ${failure.time.toFixed(0)}ms virtual)\n` +
    `  ${failure.detail.split('\n').join('\n  ')}\n` +
    `  replay: ${f.replay}\n`
  );
}

/** What a range of seeds exercised, to show the faults really happened. */
export interface Coverage {
  runsByMix: Record<string, number>;
  runsByNodes: Record<number, number>;
  partitions: number;
  crashes: number;
  confChanges: number;
  snapshots: number;
  /** Snapshot chunks leaders read lazily, and reads refused (the snapshot moved). */
  chunksRead: number;
  chunkReadsRefused: number;
  leaderTerms: number;
  okOps: number;
  /** Runs whose history the checker could not decide within its bound. */
  undecided: number;
  /** Most leader terms in one fault-free run: more than one means needless elections. */
  calmMaxLeaderTerms: number;
}

export function soakWithCoverage(
  start: number,
  count: number,
  overrides: PlanOverrides = {},
): { summary: SoakSummary; coverage: Coverage } {
  const c: Coverage = {
    runsByMix: {},
    runsByNodes: {},
    partitions: 0,
    crashes: 0,
    confChanges: 0,
    snapshots: 0,
    chunksRead: 0,
    chunkReadsRefused: 0,
    leaderTerms: 0,
    okOps: 0,
    undecided: 0,
    calmMaxLeaderTerms: 0,
  };
  const summary = runSeeds(start, count, overrides, (r) => {
    c.runsByMix[r.mix] = (c.runsByMix[r.mix] ?? 0) + 1;
    c.runsByNodes[r.nodes] = (c.runsByNodes[r.nodes] ?? 0) + 1;
    c.partitions += r.partitions;
    c.crashes += r.crashes;
    c.confChanges += r.confChanges;
    c.snapshots += r.snapshots;
    c.chunksRead += r.chunksRead;
    c.chunkReadsRefused += r.chunkReadsRefused;
    c.leaderTerms += r.leaderTerms;
    c.okOps += r.ops.ok;
    if (r.linearizable === 'unknown') c.undecided++;
    if (r.mix === 'calm') c.calmMaxLeaderTerms = Math.max(c.calmMaxLeaderTerms, r.leaderTerms);
  });
  return { summary, coverage: c };
}
