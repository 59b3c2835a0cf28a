// `npm run sim -- ...`: replay one seed verbosely, or soak many seeds.
//
//   --seed N          run exactly one seed (prints its trace with --trace,
//                     and the trace's tail when it fails)
//   --seeds N         soak seeds start..start+N-1 with a progress bar
//   --start N         first seed of a soak (default 1)
//   --jobs N          worker threads for a soak (default 1)
//   --steps N         ticks of virtual time per run (10 ms each; default 3000)
//   --nodes 3|5       cluster size (default: from the seed)
//   --mix NAME        fault mix (default: from the seed); --mixes lists them
//   --reads safe|lease  ReadIndex by heartbeat round or leader lease (default: from the seed)
//   --early-send on|off leaders send appends before their own fsync completes (default: from the seed)
//   --compact-every N   applied entries between snapshots (default: from the seed, 5 or 50)
//   --lazy-snapshots on|off  compact without the snapshot's data, load it when a follower
//                     needs it (default: from the seed)
//   --trace           print every step of a single run
//   --history FILE    save a single run's client history (JSON, for src/check)

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAULT_MIXES } from './fault-mixes.js';
import { planRun, replayCommand, type PlanOverrides } from './seed-plan.js';
import { runSimulation, type SimResult } from './simulation.js';
import { Worker } from 'node:worker_threads';
import { describeFailure, runSeeds, type SoakFailure } from './soak.js';
import type { SoakJob } from './soak-worker.js';
import { Progress } from './progress.js';

const TRACE_TAIL = 60;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      start: { type: 'string', default: '1' },
      jobs: { type: 'string', default: '1' },
      steps: { type: 'string' },
      nodes: { type: 'string' },
      mix: { type: 'string' },
      reads: { type: 'string' },
      'early-send': { type: 'string' },
      'compact-every': { type: 'string' },
      'lazy-snapshots': { type: 'string' },
      trace: { type: 'boolean', default: false },
      history: { type: 'string' },
      mixes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.mixes) {
    for (const m of FAULT_MIXES) process.stdout.write(`${m.name.padEnd(12)} ${m.description}\n`);
    return 0;
  }
  const overrides: PlanOverrides = {};
  if (values.steps !== undefined) overrides.steps = int('--steps', values.steps, 1);
  if (values.nodes !== undefined) overrides.nodes = int('--nodes', values.nodes, 3);
  if (values.mix !== undefined) overrides.mix = values.mix;
  if (values.reads !== undefined) overrides.reads = values.reads as PlanOverrides['reads'];
  const early = values['early-send'];
  if (early !== undefined) {
    if (early !== 'on' && early !== 'off')
      throw new Error(`--early-send must be on or off, got ${early}`);
    overrides.earlySend = early === 'on';
  }
  const every = values['compact-every'];
  if (every !== undefined) overrides.compactEvery = int('--compact-every', every, 1);
  const lazy = values['lazy-snapshots'];
  if (lazy !== undefined) {
    if (lazy !== 'on' && lazy !== 'off')
      throw new Error(`--lazy-snapshots must be on or off, got ${lazy}`);
    overrides.lazySnapshots = lazy === 'on';
  }
  if (values.seed !== undefined) {
    return replay(int('--seed', values.seed, 0), overrides, values.trace, values.history);
  }
  if (values.seeds !== undefined) {
    const jobs = int('--jobs', values.jobs, 1);
    return soak(int('--start', values.start, 0), int('--seeds', values.seeds, 1), overrides, jobs);
  }
  process.stderr.write(`give --seed N or --seeds N\n\n${HELP}`);
  return 2;
}

function replay(
  seed: number,
  overrides: PlanOverrides,
  trace: boolean,
  historyFile: string | undefined,
): number {
  const opts = planRun(seed, overrides);
  if (historyFile !== undefined) {
    opts.onHistory = (h) => writeFileSync(historyFile, `${JSON.stringify(h)}\n`);
  }
  const tail: string[] = [];
  opts.trace = (line) => {
    if (trace) process.stdout.write(`${line}\n`);
    else {
      tail.push(line);
      if (tail.length > TRACE_TAIL) tail.shift();
    }
  };
  const r = runSimulation(opts);
  if (r.failure && !trace) {
    process.stdout.write(`last ${tail.length} trace lines:\n${tail.join('\n')}\n\n`);
  }
  process.stdout.write(`${summary(r)}\n`);
  if (r.failure) {
    process.stdout.write(describeFailure({ result: r, replay: replayCommand(opts) }));
    return 1;
  }
  return 0;
}

async function soak(
  start: number,
  count: number,
  overrides: PlanOverrides,
  jobs: number,
): Promise<number> {
  const progress = new Progress(count);
  const began = Date.now();
  const failures: SoakFailure[] = [];
  let done = 0;
  let events = 0;
  const onResult = (r: SimResult, failure: SoakFailure | null): void => {
    done++;
    events += r.events;
    if (failure) {
      failures.push(failure);
      progress.clear();
      process.stdout.write(`${summary(r)}\n${describeFailure(failure)}`);
    }
    progress.update(done, failures.length);
  };
  if (jobs === 1) {
    runSeeds(start, count, overrides, onResult);
  } else {
    await Promise.all(
      Array.from({ length: jobs }, (_, index) => {
        const job: SoakJob = { start, count, overrides, share: { jobs, index } };
        const worker = new Worker(new URL('./soak-worker.js', import.meta.url), {
          workerData: job,
        });
        worker.on('message', (m: { result: SimResult; failure: SoakFailure | null }) =>
          onResult(m.result, m.failure),
        );
        return new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`soak worker ${index} exited with ${code}`)),
          );
        });
      }),
    );
  }
  progress.done();
  const failed = failures.length;
  const secs = (Date.now() - began) / 1000;
  const byProperty = new Map<string, number>();
  for (const f of failures) {
    const p = f.result.failure?.property ?? '?';
    byProperty.set(p, (byProperty.get(p) ?? 0) + 1);
  }
  process.stdout.write(
    `\n${count} seeds (${start}..${start + count - 1}), ${events} events in ${secs.toFixed(1)}s ` +
      `(${(count / secs).toFixed(1)} seeds/s, ${jobs} job${jobs > 1 ? 's' : ''}): ${failed} failed` +
      (failed > 0 ? ` (${[...byProperty].map(([p, n]) => `${p}: ${n}`).join(', ')})` : '') +
      '\n',
  );
  failures.sort((a, b) => a.result.seed - b.result.seed);
  for (const f of failures) process.stdout.write(`  ${f.replay}\n`);
  return failed > 0 ? 1 : 0;
}

function summary(r: SimResult): string {
  return (
    `seed ${r.seed} mix=${r.mix} nodes=${r.nodes} reads=${r.reads} early-send=${r.earlySend ? 'on' : 'off'} lazy-snapshots=${r.lazySnapshots ? 'on' : 'off'} steps=${r.steps}+${r.settleSteps} events=${r.events} ` +
    `virtual=${(r.virtualMs / 1000).toFixed(1)}s ops ok=${r.ops.ok} fail=${r.ops.fail} ` +
    `unknown=${r.ops.unknown} committed=${r.committed} msgs=${r.messages} crashes=${r.crashes} ` +
    `partitions=${r.partitions} conf=${r.confChanges} leaders=${r.leaderTerms} snapshots=${r.snapshots} dropped=${r.snapshotsDropped} chunks=${r.chunksRead} refused=${r.chunkReadsRefused} checks=${r.checks} linearizable=${r.linearizable ?? '-'} → ` +
    (r.failure ? 'FAILED' : 'ok')
  );
}

function int(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`${flag} needs an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return n;
}

const HELP = `usage: npm run sim -- (--seed N | --seeds N [--start N]) [options]
  --seed N     replay one seed; --trace prints every step, a failure prints the trace's tail;
               --history FILE saves the client history as JSON
  --seeds N    soak N seeds with a progress bar and a summary (--start N, --jobs N threads)
  --nodes 3|5, --mix NAME, --reads safe|lease, --early-send on|off, --compact-every N,
  --lazy-snapshots on|off,
  --steps N (ticks of 10 ms virtual time); all default from the seed except --steps (3000)
  --mixes      list the fault mixes
`;

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
