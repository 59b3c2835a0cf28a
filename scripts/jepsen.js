// `npm run jepsen -- [--duration SECONDS] [--seed N] [--clients N] [--keys N] [--counters N] [--nodes N] [--client-nodes N] [--read-lease]`:
// the long Jepsen-style run against a real 3-node cluster (see
// test/fault/jepsen.ts). Prints the seed first, a progress line every 5 s, and
// on failure the paths of the saved history and node logs.
// `npm run jepsen -- --check FILE [--max-steps N]` judges a saved history again.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  checkLinearizability,
  DEFAULT_MAX_STEPS_PER_KEY,
  formatCheckResult,
} from '../dist/src/check/linearizability.js';

const USAGE =
  'usage: npm run jepsen -- [--duration SECONDS] [--seed N] [--clients N] [--keys N] [--counters N]\n' +
  '                          [--nodes N] [--client-nodes N] [--read-lease] [--out DIR]\n' +
  '       npm run jepsen -- --check HISTORY.json [--max-steps N]\n' +
  '--client-nodes N: the clients connect to the first N nodes only (default all); with 1, a\n' +
  'follower without clients is sent its entries lazily (docs/cluster.md, Lazy followers)\n' +
  '--read-lease: every node reads on the leader lease (docs/cluster.md, Lease reads)\n' +
  `--max-steps N: search steps per key before its verdict is "unknown" (default ${DEFAULT_MAX_STEPS_PER_KEY})`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string', default: '600' },
      seed: { type: 'string' },
      clients: { type: 'string', default: '6' },
      keys: { type: 'string', default: '5' },
      counters: { type: 'string', default: '2' },
      nodes: { type: 'string', default: '3' },
      'client-nodes': { type: 'string' },
      'read-lease': { type: 'boolean' },
      out: { type: 'string' },
      check: { type: 'string' },
      'max-steps': { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (e) {
  console.error(`jepsen: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function count(name, text, min) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`jepsen: --${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

/** An "unknown" verdict ran out of search steps before an answer either way: how to search further. */
function largerBound(path, steps = DEFAULT_MAX_STEPS_PER_KEY) {
  return `the search ran out of steps before it found a linearization or proved there is none; judge it again with 50 times the steps: npm run jepsen -- --check ${path} --max-steps ${steps * 50}`;
}

if (values.check !== undefined) {
  const { historyFromJSON } = await import('../dist/src/check/history.js');
  let ops;
  try {
    ops = historyFromJSON(readFileSync(values.check, 'utf8'));
  } catch (e) {
    console.error(`jepsen: cannot read the history ${values.check}: ${e.message}`);
    process.exit(2);
  }
  const maxStepsPerKey =
    values['max-steps'] === undefined ? undefined : count('max-steps', values['max-steps'], 1);
  const result = checkLinearizability(ops, { maxStepsPerKey });
  console.log(`${values.check}: ${ops.length} operations`);
  console.log(formatCheckResult(result));
  if (result.verdict === 'unknown') console.log(largerBound(values.check, maxStepsPerKey));
  process.exit(result.verdict === 'ok' ? 0 : 1);
}

if (values['max-steps'] !== undefined) {
  console.error(
    'jepsen: --max-steps is for --check (a run judges its history with the default, and prints how to judge it again)',
  );
  process.exit(2);
}
const nodes = count('nodes', values.nodes, 3);
const clientNodes =
  values['client-nodes'] === undefined
    ? undefined
    : count('client-nodes', values['client-nodes'], 1);
if (clientNodes !== undefined && clientNodes > nodes) {
  console.error(`jepsen: --client-nodes ${clientNodes} is more than the ${nodes} nodes (--nodes)`);
  process.exit(2);
}
const seed =
  values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : count('seed', values.seed, 0);
const duration = count('duration', values.duration, 5);
const lease = values['read-lease'] === true ? ' --read-lease' : '';
console.log(
  `jepsen: seed ${seed}, ${duration} s${lease ? ', lease reads' : ''} (replay with --seed ${seed} --duration ${duration}${lease})`,
);
const { runJepsen } = await import('../dist/test/fault/jepsen.js');
const report = await runJepsen({
  seed,
  durationMs: duration * 1000,
  clients: count('clients', values.clients, 1),
  keys: count('keys', values.keys, 1),
  counters: count('counters', values.counters, 0),
  nodes,
  clientNodes,
  readLease: values['read-lease'] === true,
  outDir: values.out,
  log: (line) => console.log(line),
});
for (const e of report.faults) console.log(`  ${e.atMs} ms ${e.text}`);
console.log(
  `${report.summary}; longest stretch without a successful op: ${report.longestOutageMs} ms`,
);
for (const [text, n] of report.errors.slice(0, 10)) console.log(`  ${n}x ${text}`);
console.log(report.checkReport);
if (report.ok) {
  console.log(`jepsen: seed ${seed} passed`);
} else {
  console.log(`jepsen: seed ${seed} FAILED\n${report.problems.join('\n')}`);
  console.log(`history: ${report.historyPath}\nnode logs: ${report.logsPath}`);
  console.log(`judge it again: npm run jepsen -- --check ${report.historyPath}`);
  if (report.check.verdict === 'unknown') console.log(largerBound(report.historyPath));
}
process.exit(report.ok ? 0 : 1);
