// `npm run attack-report`: runs every hostile-input attack of
// src/hostile/attacks.ts against a fresh `distdb node` (default limits,
// except --max-clients 1000 so the idle-connection attack passes it quickly)
// and prints a markdown table for docs/security.md: what the attacker got,
// the node process's resident memory (peak during the attack, from /proc
// VmHWM; the coordinator runs in it, the storage engine in a child), and a
// well-behaved client's latency alone and during the attack.
//
//   npm run attack-report                 every attack
//   npm run attack-report -- slowloris    only the named ones

import { ATTACKS, idleConnections, slowloris, type AttackOutcome } from '../src/hostile/attacks.js';
import { Bystander, type LatencySummary } from '../src/hostile/bystander.js';
import { memoryOf, resetPeakMemory } from '../src/hostile/process-memory.js';
import { startOwnNode } from './own-node.js';
import { refuse } from './script-options.js';

const MAX_CLIENTS = 1000;
const BASELINE_MS = 2000;

interface Row {
  name: string;
  outcome: AttackOutcome;
  rssBeforeMiB: number;
  peakMiB: number;
  alone: LatencySummary;
  during: LatencySummary;
}

type Run = (port: number, during: () => Promise<void>) => Promise<AttackOutcome>;

const RUNS: Array<[string, Run]> = [
  ...ATTACKS.map((a): [string, Run] => [a.name, (port, during) => a.run(port, during)]),
  ['idle-connections', (port, during) => idleConnections(port, MAX_CLIENTS + 100, during)],
  ['slowloris', (port, during) => slowloris(port, 500, 50, during)],
];

const mib = (b: number): number => Math.round(b / 2 ** 20);

async function measure(name: string, run: Run): Promise<Row> {
  const node = await startOwnNode(['--max-clients', String(MAX_CLIENTS)]);
  try {
    const bystander = await Bystander.start(node.port);
    await new Promise((r) => setTimeout(r, BASELINE_MS));
    const alone = bystander.lap();
    const pid = node.pid;
    const rssBeforeMiB = mib(memoryOf(pid).rssBytes);
    resetPeakMemory(pid);
    const outcome = await run(node.port, () => bystander.served(50));
    const peakMiB = mib(memoryOf(pid).peakRssBytes);
    const during = await bystander.stop();
    if (!node.running()) throw new Error(`${name}: the node died`);
    return { name, outcome, rssBeforeMiB, peakMiB, alone, during };
  } finally {
    await node.stop();
  }
}

function counts(o: AttackOutcome): string {
  return Object.entries(o.counts ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

const only = process.argv.slice(2);
if (only.includes('--help') || only.includes('-h')) {
  process.stdout.write(
    'Usage: npm run attack-report -- [attack...]\n\n' +
      'Runs each hostile-input attack against a fresh node and prints a markdown table for\n' +
      "docs/security.md (what the attacker got, coordinator memory, a bystander client's latency).\n" +
      `Attacks (default: all): ${RUNS.map(([name]) => name).join(', ')}\n`,
  );
  process.exit(0);
}
const script = { name: 'attack-report', run: 'npm run attack-report --' };
const option = only.find((arg) => arg.startsWith('-'));
if (option !== undefined) refuse(script, `unknown option '${option}'`);
const unknown = only.filter((name) => !RUNS.some(([n]) => n === name));
if (unknown.length > 0) {
  refuse(
    script,
    `no attack named ${unknown.join(', ')}; the attacks: ${RUNS.map(([n]) => n).join(', ')}`,
  );
}
const rows: Row[] = [];
for (const [name, run] of RUNS) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`${name}…\n`);
  rows.push(await measure(name, run));
}
const ms = (n: number): string => n.toFixed(2);
console.log(
  '| attack | attacker got | coordinator RSS before → peak (MiB) | bystander p50 / p99 alone (ms) | bystander p50 / p99 during (ms) | bystander round trips during |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const got = `${r.outcome.reply.replace(/\|/g, '\\|')}${r.outcome.closed ? ', closed' : ''}${r.outcome.counts ? ` (${counts(r.outcome)})` : ''}`;
  console.log(
    `| ${r.name} | ${got} | ${r.rssBeforeMiB} → ${r.peakMiB} | ${ms(r.alone.p50Ms)} / ${ms(r.alone.p99Ms)} | ${ms(r.during.p50Ms)} / ${ms(r.during.p99Ms)} | ${r.during.ops} |`,
  );
}
