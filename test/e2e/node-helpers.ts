// Helpers shared by the client, node and crash end-to-end tests: start a
// `distdb node`, find the processes it runs, run `distdb client` to completion.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import {
  DISTDB_MAIN,
  freePort,
  startDistdb,
  tempDir,
  WAIT_FOR_MS,
  type Proc,
} from '../helpers/processes.js';

export const NODE_READY = /distdb node ready host=(\S+) port=(\d+)/;

/** Starts `distdb node` on `port` with data in `dataDir` and waits until it serves. */
export async function startNode(
  dataDir: string,
  port: number,
  extra: string[] = [],
): Promise<Proc> {
  const proc = startDistdb(['node', '--data-dir', dataDir, '--port', String(port), ...extra]);
  try {
    await proc.waitFor(NODE_READY);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/**
 * One node shared by every test of a file: started before them (data in
 * `<dir>/data`), stopped and its temp dir removed after them. The fields are
 * filled in once the `before` hook ran.
 */
export function nodeForFile(): { dir: string; port: number } {
  const shared = { dir: '', port: 0 };
  let dir: ReturnType<typeof tempDir> | undefined;
  let node: Proc | undefined;
  before(async () => {
    dir = tempDir();
    shared.dir = dir.path;
    shared.port = await freePort();
    node = await startNode(join(dir.path, 'data'), shared.port);
  });
  after(async () => {
    await node?.stop();
    dir?.remove();
  });
  return shared;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone (or a zombie); false if it still runs after `ms`. */
export async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid) || procState(pid) === 'Z') return true;
    await sleep(50);
  }
  return false;
}

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Every live process below `pid` (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** The pid of the storage engine a node runs (once it is ready): the one child of the node process. */
export async function storagePid(node: Proc, notPid?: number): Promise<number> {
  const until = Date.now() + WAIT_FOR_MS;
  while (Date.now() < until) {
    const pids = [...node.output().matchAll(/storage engine running pid=(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    const last = pids[pids.length - 1];
    if (last !== undefined && last !== notPid) return last;
    await sleep(50);
  }
  throw new Error(`no storage engine pid in the node's output:\n${node.output()}`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `distdb <args>` to completion, feeding `input` on stdin. */
export function runDistdb(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [DISTDB_MAIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`distdb ${args.join(' ')} did not finish in 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
