// Real processes for end-to-end tests: start `distdb` subcommands, wait until
// they say they are ready, and stop them by PID (never by name).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point (tests run from dist/test/...). */
export const DISTDB_MAIN = resolve(fileURLToPath(import.meta.url), '../../../src/cli/main.js');

export function tempDir(prefix = 'distdb-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Test ports are drawn from 20000–31999, below Linux's ephemeral range
 * (32768+): a port the kernel hands out for listen(0) is also one it may
 * give, a moment later, to the outgoing connection of a test running in
 * parallel, before the process we start binds it (EADDRINUSE flakes).
 */
const PORT_RANGE_START = 20000;
const PORT_RANGE_SIZE = 12000;

/**
 * A port handed out stays ours for the life of this test process, even while
 * no node listens on it (between a kill and a restart). Test files run in
 * parallel processes, so the claim is a file created exclusively in a
 * directory they share, holding our PID; a file whose process is gone is
 * stale and removed. Without it, another file's test could draw the port of
 * a node being restarted, and the restart fail with "port already in use".
 */
const PORT_CLAIMS = join(tmpdir(), 'distdb-test-ports');
const claimed: string[] = [];
process.once('exit', () => {
  for (const file of claimed) rmSync(file, { force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false if a running process holds it. */
export function claimPort(port: number): boolean {
  mkdirSync(PORT_CLAIMS, { recursive: true });
  const file = join(PORT_CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    claimed.push(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number(readFileSync(file, 'utf8'));
  // Half-written (owner 0) counts as held; a stale claim is dropped for the next draw.
  if (owner > 0 && !isRunning(owner)) rmSync(file, { force: true });
  return false;
}

function releasePort(port: number): void {
  const file = join(PORT_CLAIMS, String(port));
  rmSync(file, { force: true });
  claimed.splice(claimed.indexOf(file), 1);
}

/** Whether `port` can be bound on `host` right now. */
async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, host, () => srv.close(() => ok(true)));
  });
}

/**
 * A base port such that base + each offset is free on `host` and claimed by
 * this process, for a process that derives several ports from one
 * (`distdb start`: clients +0..2, peers +100, HTTP +1000).
 */
export async function freePortBlock(offsets: number[], host = '127.0.0.1'): Promise<number> {
  const span = Math.max(...offsets);
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = PORT_RANGE_START + Math.floor(Math.random() * (PORT_RANGE_SIZE - span));
    const ports = offsets.map((o) => base + o);
    const mine: number[] = [];
    for (const port of ports) {
      if (!claimPort(port)) break;
      mine.push(port);
    }
    if (mine.length === ports.length) {
      const free = await Promise.all(ports.map((port) => portFree(port, host)));
      if (free.every(Boolean)) return base;
    }
    // Held by another test process or bound by something else: give back our claims.
    for (const port of mine) releasePort(port);
  }
  throw new Error(`no free block of ports at offsets ${offsets.join(',')} on ${host}`);
}

/** A TCP port that was free a moment ago on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return freePortBlock([0], host);
}

/**
 * How long waitFor() waits by default. Most waits are for a process's ready
 * line: a start is 0.3-0.5 s of CPU, mostly loading modules, and took 4-8 s
 * for a storage engine at load 18 on 2 cores (when it cost 0.5 s); a wait
 * only catches a process that never gets there.
 */
export const WAIT_FOR_MS = 60_000;

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first output line matching `re` (also one already seen). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startDistdb(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Proc {
  return startScript(DISTDB_MAIN, args, opts);
}

/** Runs a compiled script (`node <script> <args>`): the CLI, or a test's own process. */
export function startScript(
  script: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Proc {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${script} ${args.join(' ')}`);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let done = false;
  const exited = new Promise<number | string>((ok) =>
    child.once('exit', (code, sig) => {
      done = true;
      for (const w of [...waiters]) w();
      ok(code ?? sig ?? 'unknown');
    }),
  );
  const proc: Proc = {
    child,
    pid: child.pid,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = WAIT_FOR_MS) {
      return new Promise((ok, fail) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            cleanup();
            ok(m);
          } else if (done) {
            cleanup();
            fail(new Error(`process exited before printing ${re}; output:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; output:\n${out}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    kill(signal = 'SIGKILL') {
      if (!done) process.kill(child.pid as number, signal);
    },
    async stop(graceMs = 5_000) {
      if (done) return;
      process.kill(child.pid as number, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!done) process.kill(child.pid as number, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return proc;
}
