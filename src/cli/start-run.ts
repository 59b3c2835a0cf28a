// `distdb start` run (its flags: start-command.ts): the local cluster's
// nodes as `distdb node` children, restarted when they die, and the banner
// that says how to connect.

import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { eachLine, spawnDistdb, stopChild } from './child-process.js';
import { authEnvironment } from './auth-options.js';
import { authSettings } from './auth-settings.js';
import { ConfigError, parsePort } from './config.js';
import { restoreDataDirs } from './restore-run.js';
import { MAX_LOCAL_NODES, type StartFlags } from './start-command.js';
import { startTlsSettings, type StartTls } from './start-tls.js';

/** Peer ports are this far above client ports. */
const PEER_PORT_OFFSET = 100;
/** HTTP ports (dashboard, /status) are this far above client ports: 8379, 8380, ... by default. */
const HTTP_PORT_OFFSET = 1000;

interface RunningNode {
  id: string;
  host: string;
  port: number;
  httpPort: number | null;
  dataDir: string;
  logFile: string;
  child: ChildProcess;
}

const NODE_READY = /distdb node ready host=(\S+) port=(\d+)(?: http=(\d+))?/;
const READY_TIMEOUT_MS = 30_000;
const RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;

export async function runStart(flags: StartFlags): Promise<void> {
  const port = flags.port === undefined ? 7379 : parsePort(flags.port, 'the port (--port)');
  const host = flags.host ?? '127.0.0.1';
  const dataRoot = resolve(flags.dataDir ?? 'data');
  const count = flags.nodes === undefined ? 3 : Number(flags.nodes);
  if (!Number.isInteger(count) || count < 1 || count > MAX_LOCAL_NODES) {
    throw new ConfigError(
      `--nodes must be a whole number from 1 to ${MAX_LOCAL_NODES}, got "${flags.nodes}"`,
    );
  }
  if (port + count - 1 + HTTP_PORT_OFFSET > 65535) {
    throw new ConfigError(`--port ${port} leaves no room for ${count} client, peer and HTTP ports`);
  }
  // Checked once here (a bad users file fails before any node starts). The nodes
  // inherit the settings as environment, where ps does not show a password.
  const { requirepass, usersFile, protectedMode } = flags;
  const authFlags = { requirepass, usersFile, protectedMode };
  const authRequired = authSettings(authFlags).auth.required;
  Object.assign(process.env, authEnvironment(authFlags));
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const peers = ids.map((id, i) => `${id}=${host}:${port + i + PEER_PORT_OFFSET}`).join(',');
  const tls = startTlsSettings(flags, ids);
  const tlsArgs = (id: string): string[] => tls?.nodeArgs(id) ?? [];
  if (flags.restore !== undefined) {
    const dirs = ids.map((id) => ({ id, dataDir: join(dataRoot, id) }));
    await restoreDataDirs(flags.restore, dirs, peers);
  }
  const nodes: RunningNode[] = [];
  let stopping = false;

  const stopAll = async (code: number): Promise<never> => {
    stopping = true;
    await Promise.all(nodes.map((n) => stopChild(n.child, 10_000)));
    process.exit(code);
  };
  process.once('SIGINT', () => {
    process.stdout.write('\nstopping distdb...\n');
    void stopAll(0);
  });
  process.once('SIGTERM', () => void stopAll(0));
  // Whatever ends this process, the nodes must not outlive it.
  process.once('exit', () => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGTERM');
  });

  try {
    const started = await Promise.allSettled(
      ids.map((id, i) => startNode(id, host, port + i, peers, join(dataRoot, id), tlsArgs(id))),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    process.stderr.write(`distdb start: ${(err as Error).message}\n`);
    return stopAll(1);
  }
  // One node failing is what the cluster is built to survive: the others keep
  // serving while it is restarted, as a supervisor on a real machine would.
  const restart = (n: RunningNode, delayMs: number): void => {
    setTimeout(() => {
      if (stopping) return;
      startNode(n.id, host, n.port, peers, n.dataDir, tlsArgs(n.id)).then(
        (again) => {
          nodes[nodes.indexOf(n)] = again;
          process.stderr.write(`distdb start: node ${n.id} is back\n`);
          supervise(again);
        },
        (err: unknown) => {
          process.stderr.write(`distdb start: ${(err as Error).message}\n`);
          restart(n, Math.min(delayMs * 2, MAX_RESTART_DELAY_MS));
        },
      );
    }, delayMs);
  };
  const supervise = (n: RunningNode): void => {
    n.child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `distdb start: node ${n.id} stopped unexpectedly (${signal ?? `status ${code}`}); ` +
          `the others keep serving; restarting it (log: ${shortPath(n.logFile)})\n`,
      );
      restart(n, RESTART_DELAY_MS);
    });
  };
  for (const n of nodes) supervise(n);
  process.stdout.write(banner(nodes, authRequired, tls));
}

/** Starts one `distdb node` child; resolves once it serves. */
function startNode(
  id: string,
  host: string,
  port: number,
  peers: string,
  dataDir: string,
  tlsArgs: string[],
): Promise<RunningNode> {
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'node.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawnDistdb([
    'node',
    '--data-dir',
    dataDir,
    '--host',
    host,
    '--port',
    String(port),
    '--id',
    id,
    '--peers',
    peers,
    '--http-port',
    String(port + HTTP_PORT_OFFSET),
    ...tlsArgs,
  ]);
  const recent: string[] = [];
  return new Promise((ok, fail) => {
    let ready = false;
    const timer = setTimeout(() => {
      fail(new Error(`node ${id} did not start within ${READY_TIMEOUT_MS / 1000} s`));
      child.kill('SIGTERM');
    }, READY_TIMEOUT_MS);
    const onLine = (line: string): void => {
      log.write(line + '\n');
      if (ready) return;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      const m = NODE_READY.exec(line);
      if (m) {
        ready = true;
        clearTimeout(timer);
        const httpPort = m[3] === undefined ? null : Number(m[3]);
        ok({ id, host: m[1] as string, port: Number(m[2]), httpPort, dataDir, logFile, child });
      }
    };
    eachLine(child.stdout!, onLine);
    eachLine(child.stderr!, onLine);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) {
        fail(
          new Error(
            `node ${id} exited while starting (${signal ?? `status ${code}`}); its last words:\n` +
              recent.join('\n'),
          ),
        );
      }
    });
  });
}

function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith('..') ? p : `./${rel}`;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A banner line: a command, then what it does in a column (further right if the command is long). */
function row(command: string, what: string): string {
  return `  ${command}`.padEnd(44) + `  ${what}`;
}

function banner(nodes: RunningNode[], authRequired: boolean, tls: StartTls | null): string {
  const first = nodes[0] as RunningNode;
  const portFlag = first.port === 7379 ? '' : ` --port ${first.port}`;
  const ca = tls === null ? '' : shortPath(tls.ca);
  const caFlag = tls === null ? '' : ` --tls-ca ${ca}`;
  const tlsNote =
    tls === null
      ? []
      : [
          `TLS on every port with the certificates in ${shortPath(tls.dir)}; clients verify them with ${ca}.`,
          ...(tls.clientAuth
            ? [
                'Clients must present a certificate signed by it: add --tls-cert <file> --tls-key <file>.',
              ]
            : []),
          '',
        ];
  const authNote = authRequired
    ? [
        'Clients must authenticate: set DISTDB_PASSWORD (and DISTDB_USER) in the environment or .env,',
        'or give --user/--password; redis-cli takes -a <password> (and --user <name>).',
        '',
      ]
    : [];
  const lines = [
    '',
    `distdb is running: a cluster of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (any node serves any command)`,
    ...nodes.map(
      (n) =>
        `  ${n.id}  ${n.host}:${n.port}${n.httpPort === null ? '' : `   http :${n.httpPort}`}   data ${shortPath(n.dataDir)}   log ${shortPath(n.logFile)}`,
    ),
    '',
    ...(first.httpPort === null
      ? []
      : [
          `Dashboard:  http${tls === null ? '' : 's'}://${urlHost(first.host)}:${first.httpPort}/   (every node serves one)`,
          '',
        ]),
    ...authNote,
    ...tlsNote,
    'Connect with:',
    row(`npx distdb client${portFlag}${caFlag}`, 'the distdb shell: PUT key value, GET key, help'),
    row(
      `redis-cli -p ${first.port}${tls === null ? '' : ` --tls --cacert ${ca}`}`,
      'or any Redis client',
    ),
    ...(tls === null
      ? [row(`nc ${first.host} ${first.port}`, 'then type PUT key value, GET key')]
      : []),
    '',
    row(`npx distdb cluster status${portFlag}${caFlag}`, 'members, leader, replication lag'),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}
