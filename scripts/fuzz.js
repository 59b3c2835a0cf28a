// Fuzz soak: runs the properties of test/helpers/fuzz-targets.ts (the ones
// `npm test` runs a few hundred times) with fresh seeds until time is up.
//
//   npm run fuzz -- --seconds 600            every target, ten minutes
//   npm run fuzz -- --target resp-request    targets whose name starts so
//   npm run fuzz -- --target resp-request-mutated --seed 42 --path 3:1:0   replay a failure
//
// The properties run in a worker thread so that a decoder stuck in a loop
// is caught too: if the worker reports nothing for STALL_MS, the seed it was
// on is printed and the soak fails. Exit code 0 only if nothing failed.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { clearInterval, setInterval } from 'node:timers';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';

const TARGETS_MODULE = new URL('../dist/test/helpers/fuzz-targets.js', import.meta.url);
/** Runs per seed; the worker reports after each. */
const RUNS_PER_SEED = 300;
const STALL_MS = 30_000;
const PROGRESS_MS = 5_000;

async function targetsFor(prefix) {
  const { FUZZ_TARGETS } = await import(TARGETS_MODULE);
  const targets = FUZZ_TARGETS.filter((t) => t.name.startsWith(prefix ?? ''));
  if (targets.length === 0) {
    const names = FUZZ_TARGETS.map((t) => t.name).join(', ');
    throw new Error(`no fuzz target starts with ${JSON.stringify(prefix)}; targets: ${names}`);
  }
  return targets;
}

function replayCommand(target, seed, path) {
  return `npm run fuzz -- --target ${target} --seed ${seed}${path ? ` --path ${path}` : ''}`;
}

async function worker() {
  const { prefix, deadline } = workerData;
  const targets = await targetsFor(prefix);
  while (Date.now() < deadline) {
    for (const t of targets) {
      const seed = (Math.random() * 0x7fffffff) | 0;
      parentPort.postMessage({ kind: 'start', target: t.name, seed });
      const r = fc.check(t.property(), { seed, numRuns: RUNS_PER_SEED });
      if (r.failed) {
        parentPort.postMessage({
          kind: 'failure',
          target: t.name,
          seed,
          path: r.counterexamplePath,
          counterexample: fc.stringify(r.counterexample),
          error: String(r.errorInstance?.stack ?? r.errorInstance),
        });
        return;
      }
      parentPort.postMessage({ kind: 'done', target: t.name, runs: r.numRuns });
      if (Date.now() >= deadline) return;
    }
  }
}

async function replay(target, seed, path) {
  const [t] = await targetsFor(target);
  console.log(`replaying ${t.name} seed ${seed}${path ? ` path ${path}` : ''}`);
  const r = fc.check(t.property(), { seed, path, numRuns: RUNS_PER_SEED, endOnFailure: true });
  if (!r.failed) {
    console.log('passed: the failure does not reproduce');
    return 0;
  }
  console.log(`counterexample: ${fc.stringify(r.counterexample)}`);
  console.log(String(r.errorInstance?.stack ?? r.errorInstance));
  return 1;
}

function soak(prefix, seconds) {
  const started = Date.now();
  const runs = new Map();
  let current = null;
  let lastHeard = Date.now();
  const w = new Worker(new URL(import.meta.url), {
    workerData: { prefix, deadline: started + seconds * 1000 },
  });
  return new Promise((resolve) => {
    let finished = false;
    const finish = (code) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      resolve(code);
    };
    const timer = setInterval(() => {
      const total = [...runs.values()].reduce((a, b) => a + b, 0);
      const elapsed = ((Date.now() - started) / 1000).toFixed(0);
      console.log(
        `[${elapsed}s/${seconds}s] ${total} runs: ${[...runs].map(([n, c]) => `${n} ${c}`).join(', ')}`,
      );
      if (Date.now() - lastHeard > STALL_MS && current) {
        console.log(
          `STALL: ${current.target} made no progress for ${STALL_MS / 1000} s (a decoder loops?)`,
        );
        console.log(`replay: ${replayCommand(current.target, current.seed)}`);
        void w.terminate();
        finish(1);
      }
    }, PROGRESS_MS);
    w.on('message', (m) => {
      lastHeard = Date.now();
      if (m.kind === 'start') current = m;
      else if (m.kind === 'done') runs.set(m.target, (runs.get(m.target) ?? 0) + m.runs);
      else if (m.kind === 'failure') {
        console.log(`FAILURE in ${m.target} (seed ${m.seed}, path ${m.path})`);
        console.log(`counterexample: ${m.counterexample}`);
        console.log(m.error);
        console.log(`replay: ${replayCommand(m.target, m.seed, m.path)}`);
        finish(1);
      }
    });
    w.on('error', (err) => {
      console.log(`worker crashed on ${current?.target} seed ${current?.seed}: ${err.stack}`);
      finish(1);
    });
    w.on('exit', () => {
      if (finished) return;
      const total = [...runs.values()].reduce((a, b) => a + b, 0);
      console.log(
        `done: ${total} runs in ${((Date.now() - started) / 1000).toFixed(0)} s, no failure`,
      );
      finish(0);
    });
  });
}

const USAGE = `Usage: npm run fuzz -- [options]

Runs the fuzz properties of test/helpers/fuzz-targets.ts with fresh seeds
until time is up; exit status 0 only if nothing failed. A failure prints
the command that replays it.

Options:
  --seconds <n>      how long to run (default 60)
  --target <prefix>  only the targets whose name starts with <prefix>
                     (resp-request, resp-reply, storage, peer, ...)
  --seed <n>         replay one seed of --target instead of a soak
  --path <path>      with --seed: the shrunk counterexample's path
  -h, --help         this text
`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        seconds: { type: 'string', default: '60' },
        target: { type: 'string' },
        seed: { type: 'string' },
        path: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

if (isMainThread) {
  const values = parseOptions();
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    console.error(`--seconds must be a positive number, got ${values.seconds}`);
    process.exit(2);
  }
  const code =
    values.seed !== undefined
      ? await replay(values.target ?? '', Number(values.seed), values.path)
      : await soak(values.target, seconds);
  process.exit(code);
} else {
  await worker();
}
