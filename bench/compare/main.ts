// `npm run bench:compare`: distdb next to etcd and Redis on this machine, in
// one run, driven by one load generator. Each system is started here on
// loopback with its data in a temp dir, measured, and stopped by PID before
// the next one starts, so they never compete with each other for the CPUs.

import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProgressBar } from '../progress.js';
import { usageErrors, usageLine } from '../script-options.js';
import { formatMs, formatOps } from './format.js';
import { ensureInstalled, versionOf } from './install.js';
import { makeKeySpace } from './keyspace.js';
import { measure } from './measure.js';
import type { Measurement } from './measurement.js';
import {
  DEFAULTS,
  MAX_CLIENTS,
  MAX_ROUNDS,
  parseOptions,
  UsageError,
  type CompareOptions,
} from './options.js';
import {
  defaultResultName,
  loadWarning,
  machineInfo,
  writeResults,
  type ResultsFile,
} from './results-file.js';
import { medianRounds } from './rounds.js';
import { stopAllServers } from './server-process.js';
import { startDistdbCluster, tunedSettings } from './systems/distdb.js';
import { ETCD_BINARY, startEtcdCluster } from './systems/etcd.js';
import { REDIS_BINARY, startRedis } from './systems/redis.js';
import type { RunningSystem, StartContext, SystemName } from './systems/system.js';
import { formatReport, formatTargets } from './table.js';
import { checkTargets } from './targets.js';
import { WORKLOADS } from './workload.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const STARTERS: Record<SystemName, (ctx: StartContext) => Promise<RunningSystem>> = {
  distdb: startDistdbCluster,
  etcd: startEtcdCluster,
  redis: startRedis,
};

const say = (line: string): void => {
  process.stderr.write(line + '\n');
};

const tempDirs = new Set<string>();
/** Set by Ctrl-C: no new run starts while the servers are being stopped. */
let interrupted = false;

function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

const SCRIPT = { name: 'bench:compare', run: 'npm run bench:compare --' };

function program(): Command {
  return usageErrors(new Command('bench:compare'), SCRIPT)
    .description(
      'distdb (3 nodes) next to etcd (3 members) and Redis (1 durable node) on this machine, same load generator, same run',
    )
    .option('--systems <list>', 'which systems, comma-separated', DEFAULTS.systems)
    .option(
      '--workloads <list>',
      'which workloads: put, get (after preloading every key), mixed (50/50)',
      DEFAULTS.workloads,
    )
    .option(
      '--clients <list>',
      `closed-loop client counts, one run each (1 to ${MAX_CLIENTS})`,
      DEFAULTS.clients,
    )
    .option('--duration <seconds>', 'measured time of each run', DEFAULTS.duration)
    .option('--warmup <seconds>', 'unmeasured time before each run', DEFAULTS.warmup)
    .option('--keys <n>', 'size of the key space (keys drawn uniformly)', DEFAULTS.keys)
    .option('--value-size <bytes>', 'size of every written value', DEFAULTS.valueSize)
    .option(
      '--rounds <n>',
      `repeat the whole run n times (1 to ${MAX_ROUNDS}), systems alternating; report each figure's median round`,
      DEFAULTS.rounds,
    )
    .option(
      '--out <file.json>',
      'results file; the SVG chart is written next to it (default bench/results/<date>.json)',
    )
    .addHelpText(
      'after',
      `
Each client is one connection with one request in flight (closed loop). Each
system runs alone: started on 127.0.0.1 with data in a temp dir, measured for
every workload and client count, stopped. Clients of distdb and etcd talk to
the leader. Missing etcd or redis-server is installed with apt-get.

Prints a table per workload and client count (ops/s, p50/p99/p999 latency,
CPU seconds of the servers and of this load generator, ratios distdb/etcd and
distdb/Redis) and the check of issue 5's targets. With --rounds 3 every system
runs three times, alternating, and each figure is its median round's: on a
noisy machine, the verdict to trust. See docs/performance.md.

Examples:
  npm run bench:compare
  npm run bench:compare -- --rounds 3 --workloads put,get --clients 64
  npm run bench:compare -- --systems distdb,redis --workloads put --clients 64 --duration 10`,
    );
}

async function runSystem(
  name: SystemName,
  round: number,
  o: CompareOptions,
  ctx: Omit<StartContext, 'dir'>,
  measurements: Measurement[],
  info: ResultsFile['systems'],
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `distdb-compare-${name}-`));
  tempDirs.add(dir);
  say(`\n${name}: starting (data in ${dir})`);
  let sys: RunningSystem;
  try {
    sys = await STARTERS[name]({ ...ctx, dir });
  } catch (err) {
    keepForLogs(dir);
    throw err;
  }
  let ok = false;
  try {
    info[name] = {
      version:
        name === 'distdb'
          ? distdbVersion()
          : versionOf(name === 'etcd' ? ETCD_BINARY : REDIS_BINARY),
      endpoint: sys.endpoint,
    };
    say(`${name}: clients connect to ${sys.endpoint}`);
    let loaded = false;
    // In WORKLOADS order, puts first: they need no preloaded data, and the preload then serves both read workloads.
    for (const workload of WORKLOADS.filter((w) => o.workloads.includes(w))) {
      if (workload !== 'put' && !loaded) {
        await preload(sys, o.keys);
        loaded = true;
      }
      for (const clients of o.clients) {
        if (interrupted) return;
        const m = await measure(sys, {
          workload,
          clients,
          keyCount: o.keys,
          warmupSec: o.warmupSec,
          durationSec: o.durationSec,
        });
        if (interrupted) return;
        measurements.push({ ...m, round });
        say(
          `  ${name} ${workload} x${clients}${o.rounds > 1 ? ` (round ${round})` : ''}: ${formatOps(m.opsPerSec)} ops/s, p50 ${formatMs(m.latencyMs.p50)} ms, p99 ${formatMs(m.latencyMs.p99)} ms` +
            (m.errors > 0 ? `, ${m.errors} errors (${m.firstError})` : ''),
        );
      }
    }
    ok = true;
  } finally {
    await sys.stop();
    if (ok || interrupted) {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    } else {
      keepForLogs(dir);
    }
  }
}

/** A failed system's data and logs stay for a look. */
function keepForLogs(dir: string): void {
  tempDirs.delete(dir);
  say(`  its data and logs are kept in ${dir}`);
}

async function preload(sys: RunningSystem, keys: number): Promise<void> {
  const bar = new ProgressBar();
  let written = 0;
  const t0 = Date.now();
  bar.start(
    `${sys.name} preload`,
    () => written / keys,
    () => `${formatOps(written)} of ${formatOps(keys)} keys`,
  );
  try {
    await sys.preload((n) => (written = n));
  } finally {
    bar.stop();
  }
  say(
    `  ${sys.name}: preloaded ${formatOps(keys)} keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

function distdbVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return `distdb ${pkg.version}`;
}

async function main(argv: string[]): Promise<void> {
  const cmd = program();
  cmd.parse(argv);
  const startedAt = new Date();
  const o = parseOptions(cmd.opts(), join(ROOT, 'bench', 'results', defaultResultName(startedAt)));
  if (o.systems.includes('etcd'))
    ensureInstalled({ binary: ETCD_BINARY, debian: 'etcd-server' }, say);
  if (o.systems.includes('redis'))
    ensureInstalled({ binary: REDIS_BINARY, debian: 'redis-server' }, say);

  const stopEverything = (code: number): void => {
    interrupted = true;
    say('\nstopping the servers...');
    void stopAllServers().finally(() => {
      removeTempDirs();
      process.exit(code);
    });
  };
  process.once('SIGINT', () => stopEverything(130));
  process.once('SIGTERM', () => stopEverything(143));

  const machine = machineInfo();
  say(
    `bench:compare: ${o.systems.join(', ')} × ${o.workloads.join(', ')} × clients ${o.clients.join(', ')}; ` +
      `${o.keys} keys, ${o.valueSize}-byte values, ${o.warmupSec} s warm-up + ${o.durationSec} s per run` +
      (o.rounds > 1 ? `, ${o.rounds} rounds` : '') +
      '; ' +
      `${machine.cpus} CPUs, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  const space = makeKeySpace(o.keys, o.valueSize);
  const everyRound: Measurement[] = [];
  const systems: ResultsFile['systems'] = {};
  const failures: ResultsFile['failures'] = [];
  try {
    for (let round = 1; round <= o.rounds && !interrupted; round++) {
      if (o.rounds > 1) say(`\nround ${round} of ${o.rounds}`);
      for (const name of o.systems) {
        if (interrupted) break;
        // A system that failed once is not started again.
        if (failures.some((f) => f.system === name)) continue;
        // One system failing must not throw away the others' measurements.
        try {
          await runSystem(name, round, o, { space, say }, everyRound, systems);
        } catch (err) {
          if (interrupted) break;
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ system: name, error });
          say(`${name} FAILED: ${error}`);
        }
      }
    }
  } finally {
    await stopAllServers();
    removeTempDirs();
  }
  if (interrupted) return; // stopEverything() ends the process
  const measurements = medianRounds(everyRound);
  const targets = checkTargets(measurements);
  process.stdout.write(
    '\n' + formatReport(measurements, everyRound) + '\n' + formatTargets(targets, o.rounds) + '\n',
  );
  for (const f of failures) process.stdout.write(`\n${f.system} FAILED: ${f.error}\n`);
  const busyMachine = loadWarning(machine);
  if (busyMachine) process.stdout.write(`\n${busyMachine}\n`);
  const tuned = tunedSettings();
  if (tuned !== '' && o.systems.includes('distdb')) {
    process.stdout.write(
      `\nnote: distdb ran with ${tuned}, not its defaults; issue 5's targets are for the defaults.\n`,
    );
  }
  const svg = writeResults(o.out, {
    tool: 'distdb bench:compare',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    argv: argv.slice(2),
    machine,
    settings: o,
    systems,
    measurements,
    ...(o.rounds > 1 ? { everyRound } : {}),
    targets,
    failures,
  });
  say(`\nwrote ${relative(process.cwd(), resolve(o.out))} and ${relative(process.cwd(), svg)}`);
  if (failures.length > 0) process.exitCode = 1;
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  say(err instanceof UsageError ? usageLine(SCRIPT, message) : `bench:compare: ${message}`);
  void stopAllServers().finally(() => {
    removeTempDirs();
    process.exit(err instanceof UsageError ? 2 : 1);
  });
});
