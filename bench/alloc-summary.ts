// Reads the allocation profiles alloc-hook.ts wrote during one distdb run of
// bench:compare and prints, per process, the bytes it allocated per
// operation and where. See docs/performance.md, "Where the garbage comes from".
//
//   node dist/bench/alloc-summary.js --dir <profile dir> --results <results.json> [--top 8]

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'alloc-summary',
  run: 'node dist/bench/alloc-summary.js',
  about:
    'Bytes allocated per operation by each distdb process of one bench:compare run, and the\n' +
    'functions that allocated them. Run the benchmark with one system, workload and client\n' +
    'count, and every process profiled:\n' +
    '  NODE_OPTIONS="--import $PWD/dist/bench/alloc-hook.js" DISTDB_ALLOC_PROFILE_DIR=<dir> \\\n' +
    '    node dist/bench/compare/main.js --systems distdb --workloads put --clients 64 --out <results.json>\n' +
    'A profile covers its process from start to stop: the operations counted are those of the\n' +
    'warm-up and the measured window (at the measured rate); start-up and, for get, the preload\n' +
    'add to every process. Compare builds with the same command, not with other figures.',
};
const values = scriptOptions(usage, {
  dir: { value: '<dir>', help: 'where the profiles are (DISTDB_ALLOC_PROFILE_DIR)' },
  results: { value: '<file>', help: "the run's results file (bench:compare --out)" },
  top: { value: '<n>', help: 'allocation sites listed per process', default: '8' },
});
const { dir, results: resultsPath } = values;
const top = Number(values.top);
if (dir === undefined || resultsPath === undefined || !(top >= 0)) {
  refuse(usage, '--dir and --results are required; --top must be 0 or more');
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** A file's JSON, or a one-line refusal that says which file and why. */
function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return refuse(usage, `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

const results = readJson(resultsPath, 'the results file') as {
  settings: { warmupSec: number; durationSec: number };
  measurements: Array<{
    system: string;
    opsPerSec: number;
    cpuSeconds: { byProcess: Array<{ name: string }> };
  }>;
};
const m = results.measurements.find((x) => x.system === 'distdb');
if (m === undefined || results.measurements.length !== 1) {
  refuse(usage, `${resultsPath} must hold one distdb measurement (one workload, one client count)`);
}
const ops = m.opsPerSec * (results.settings.warmupSec + results.settings.durationSec);
const leader = m.cpuSeconds.byProcess.find((p) => p.name.endsWith('(leader)'))?.name.split(' ')[0];

let files: string[] = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.heapprofile'));
} catch (err) {
  refuse(usage, `cannot read the profile directory ${dir}: ${(err as Error).message}`);
}
if (files.length === 0) {
  refuse(usage, `no .heapprofile files in ${dir}: was the run started with alloc-hook loaded?`);
}
// coordinator-<id>-<pid>, engine-of-<coordinator pid>-<pid>
const coordinatorIds = new Map<string, string>();
for (const f of files) {
  const c = /^coordinator-(.+)-(\d+)\.heapprofile$/.exec(f);
  if (c) coordinatorIds.set(c[2]!, c[1]!);
}
const rows = files.map((f) => {
  const e = /^engine-of-(\d+)-\d+\.heapprofile$/.exec(f);
  const c = /^coordinator-(.+)-\d+\.heapprofile$/.exec(f);
  const id = e ? (coordinatorIds.get(e[1]!) ?? `pid ${e[1]}`) : (c?.[1] ?? f);
  const role = e ? 'engine' : 'coordinator';
  const name = `${id} ${role}${id === leader && role === 'coordinator' ? ' (leader)' : ''}`;
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode): void => {
    total += n.selfSize;
    if (n.selfSize > 0) {
      const { functionName, url, lineNumber } = n.callFrame;
      const where = url.replace(/^.*\/(dist|node_modules)\//, '$1/');
      const site = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    }
    for (const child of n.children) walk(child);
  };
  walk((readJson(join(dir, f), 'the profile') as { head: ProfileNode }).head);
  return { name, total, bySite };
});
rows.sort((a, b) => a.name.localeCompare(b.name));

console.log(
  `${Math.round(ops)} operations (warm-up and measured window at ${Math.round(m.opsPerSec)} ops/s)`,
);
for (const r of rows) {
  console.log(`\n${r.name}: ${Math.round(r.total / ops)} bytes per operation`);
  const sites = [...r.bySite].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [site, bytes] of sites) {
    console.log(`  ${String(Math.round(bytes / ops)).padStart(6)}  ${site}`);
  }
}
