// `npm run bench`: closed-loop benchmark of a distdb node. Without --host or
// --port it starts its own node in a temporary directory.

import { Command } from 'commander';
import { preload, runWorkload, WORKLOADS, type RunResult, type Workload } from './workload.js';
import { startOwnNode, type OwnNode } from './own-node.js';
import { usageErrors, usageLine } from './script-options.js';
import { addClientTlsOptions } from '../src/cli/tls-options.js';
import { clientTlsSettings } from '../src/cli/tls-settings.js';
import { loadDotEnv } from '../src/cli/config.js';
import { addCredentialOptions, credentials } from '../src/cli/credentials.js';

interface Flags {
  host?: string;
  port?: string;
  workload: string;
  clients: string;
  duration: string;
  warmup: string;
  valueSize: string;
  keys: string;
  readRatio: string;
  json?: boolean;
  user?: string;
  password?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

class UsageError extends Error {}

const SCRIPT = { name: 'bench', run: 'npm run bench --' };

function positive(text: string, what: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(
      `${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`,
    );
  }
  return n;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const fmt = (n: number, digits = 3): string => n.toFixed(digits);

function printRow(r: RunResult): void {
  const cells = [
    r.workload.padEnd(8),
    String(r.clients).padStart(7),
    `${r.valueSize}B`.padStart(7),
    Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10),
    fmt(r.latencyMs.p50).padStart(8),
    fmt(r.latencyMs.p99).padStart(8),
    fmt(r.latencyMs.p999).padStart(8),
    fmt(r.latencyMs.max).padStart(8),
    String(r.errors).padStart(7),
  ];
  process.stdout.write(cells.join('  ') + '\n');
  if (r.firstError !== null) process.stdout.write(`          first error: ${r.firstError}\n`);
}

async function main(argv: string[]): Promise<void> {
  loadDotEnv();
  const program = addClientTlsOptions(
    addCredentialOptions(usageErrors(new Command('bench'), SCRIPT)),
  )
    .description(
      'closed-loop benchmark of a distdb node: each client keeps one request in flight; prints ops/s and latency percentiles',
    )
    .option('--host <host>', 'node to measure (default: start a throwaway node)')
    .option('--port <port>', 'port of the node to measure (default: start a throwaway node)')
    .option('--workload <list>', `comma-separated, of ${WORKLOADS.join(', ')}`, 'put,get')
    .option('--clients <list>', 'comma-separated client counts, one run each', '1,50')
    .option('--duration <seconds>', 'measured time of each run', '10')
    .option('--warmup <seconds>', 'unmeasured time before each run', '2')
    .option('--value-size <bytes>', 'size of each written value', '100')
    .option('--keys <n>', 'number of distinct keys', '10000')
    .option('--read-ratio <fraction>', 'share of gets in the mixed workload', '0.5')
    .option('--json', 'print the results as JSON on stdout')
    .addHelpText(
      'after',
      '\nExample: npm run bench -- --workload put --clients 50 --duration 5\n' +
        'With TLS: --tls-ca ca.crt for a node you started; for the throwaway node give the\n' +
        "node's files: --tls-cert n1.crt --tls-key n1.key --tls-ca ca.crt (the client then trusts --tls-ca)",
    );
  program.parse(argv);
  const f = program.opts<Flags>();

  const workloads = list(f.workload).map((w) => {
    if (!(WORKLOADS as readonly string[]).includes(w)) {
      throw new UsageError(`unknown workload "${w}"; choose from ${WORKLOADS.join(', ')}`);
    }
    return w as Workload;
  });
  const clientCounts = list(f.clients).map((c) => Math.floor(positive(c, '--clients')));
  const durationMs = positive(f.duration, '--duration') * 1000;
  const warmupMs = positive(f.warmup, '--warmup', true) * 1000;
  const valueSize = Math.floor(positive(f.valueSize, '--value-size', true));
  const keys = Math.floor(positive(f.keys, '--keys'));
  const readRatio = positive(f.readRatio, '--read-ratio', true);
  if (readRatio > 1) throw new UsageError('--read-ratio must be between 0 and 1');

  let tls = clientTlsSettings({ ...f });
  const ownNode = f.host === undefined && f.port === undefined;
  if (ownNode && tls !== undefined && (f.tlsCert === undefined || f.tlsCa === undefined)) {
    throw new UsageError(
      "with TLS, the throwaway node needs its files: --tls-cert, --tls-key and --tls-ca (its certificate must name n1, the node's id)",
    );
  }
  let node: OwnNode | null = null;
  const cleanup = async (): Promise<void> => {
    await node?.stop();
    node = null;
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    let host = f.host ?? '127.0.0.1';
    let port = f.port === undefined ? 7379 : Math.floor(positive(f.port, '--port'));
    if (ownNode) {
      // The throwaway node gets the TLS files; the clients only trust the CA.
      node = await startOwnNode(
        tls === undefined
          ? []
          : ['--tls-cert', f.tlsCert, '--tls-key', f.tlsKey, '--tls-ca', f.tlsCa].map(String),
      );
      if (tls !== undefined) tls = { ca: tls.ca, caPath: tls.caPath };
      host = node.host;
      port = node.port;
      process.stderr.write(
        `started a throwaway node on ${host}:${port} (data in ${node.dataDir})\n`,
      );
    }
    const base = {
      host,
      port,
      credentials: credentials(f),
      tls,
      valueSize,
      keys,
      readRatio,
      durationMs,
      warmupMs,
    };
    if (!f.json) {
      process.stdout.write(
        `distdb bench: ${host}:${port}, ${keys} keys, ${durationMs / 1000} s per run after ${warmupMs / 1000} s warm-up; latency in ms\n`,
      );
      process.stdout.write(
        'workload  clients    value       ops/s       p50       p99      p999       max   errors\n',
      );
    }
    const results: RunResult[] = [];
    let loaded = false;
    for (const workload of workloads) {
      if (workload !== 'put' && !loaded) {
        await preload({ ...base, workload, clients: 1 });
        loaded = true;
      }
      for (const clients of clientCounts) {
        const r = await runWorkload({ ...base, workload, clients });
        results.push(r);
        if (!f.json) printRow(r);
      }
    }
    if (f.json) {
      process.stdout.write(
        JSON.stringify({ target: `${host}:${port}`, ownNode: node !== null, results }, null, 2) +
          '\n',
      );
    }
  } finally {
    await cleanup();
  }
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `${err instanceof UsageError ? usageLine(SCRIPT, message) : `bench: ${message}`}\n`,
  );
  process.exit(err instanceof UsageError ? 2 : 1);
});
