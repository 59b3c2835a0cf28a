// `distdb start` (what `npm start` runs): distdb on this machine with data
// under ./data, and how to connect to it. Today one node; each node runs as a
// `distdb node` child with its log in its data directory. Ctrl-C stops them all.

import { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { eachLine, spawnDistdb, stopChild } from './child-process.js';
import { parsePort } from './config.js';

interface StartFlags {
  port?: string;
  host?: string;
  dataDir?: string;
}

interface RunningNode {
  id: string;
  host: string;
  port: number;
  dataDir: string;
  logFile: string;
  child: ChildProcess;
}

const NODE_READY = /distdb node ready host=(\S+) port=(\d+)/;
const READY_TIMEOUT_MS = 30_000;

export function startCommand(): Command {
  return new Command('start')
    .description('run distdb locally with data under ./data, and print how to connect (npm start)')
    .option('-p, --port <port>', 'client port (default 7379)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where the data lives (default ./data)')
    .action(async (flags: StartFlags) => {
      await start(flags);
    });
}

async function start(flags: StartFlags): Promise<void> {
  const port = flags.port === undefined ? 7379 : parsePort(flags.port, 'the port (--port)');
  const host = flags.host ?? '127.0.0.1';
  const dataRoot = resolve(flags.dataDir ?? 'data');
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
    nodes.push(await startNode('n1', host, port, join(dataRoot, 'n1')));
  } catch (err) {
    process.stderr.write(`distdb start: ${(err as Error).message}\n`);
    return stopAll(1);
  }
  for (const n of nodes) {
    n.child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `distdb start: node ${n.id} stopped unexpectedly (${signal ?? `status ${code}`}); ` +
          `see its log: ${shortPath(n.logFile)}\n`,
      );
      void stopAll(1);
    });
  }
  process.stdout.write(banner(nodes));
}

/** Starts one `distdb node` child; resolves once it serves. */
function startNode(id: string, host: string, port: number, dataDir: string): Promise<RunningNode> {
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
        ok({ id, host: m[1] as string, port: Number(m[2]), dataDir, logFile, child });
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

function banner(nodes: RunningNode[]): string {
  const first = nodes[0] as RunningNode;
  const portFlag = first.port === 7379 ? '' : ` --port ${first.port}`;
  const lines = [
    '',
    `distdb is running: ${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
    ...nodes.map(
      (n) =>
        `  ${n.id}  ${n.host}:${n.port}   data ${shortPath(n.dataDir)}   log ${shortPath(n.logFile)}`,
    ),
    '',
    'Connect with:',
    `  npx distdb client${portFlag}`.padEnd(36) + 'the distdb shell: PUT key value, GET key, help',
    `  redis-cli -p ${first.port}`.padEnd(36) + 'or any Redis client',
    `  nc ${first.host} ${first.port}`.padEnd(36) + 'then type PUT key value, GET key',
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}
