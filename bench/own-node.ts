// A throwaway distdb node for the benchmark, so `npm run bench` works from a
// fresh clone: data in a temporary directory, a port the OS picks, stopped
// and removed afterwards.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../src/cli/child-process.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const READY = /distdb node ready host=(\S+) port=(\d+)/;

export interface OwnNode {
  host: string;
  port: number;
  dataDir: string;
  /** The node process (the coordinator runs in it; the storage engine is its child). */
  pid: number;
  /** The node process has not exited. */
  running(): boolean;
  stop(): Promise<void>;
}

/** `args`: extra `distdb node` flags (e.g. TLS files). */
export async function startOwnNode(args: string[] = []): Promise<OwnNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'distdb-bench-'));
  const child = spawn(
    process.execPath,
    [MAIN, 'node', '--data-dir', dataDir, '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const onData = (d: Buffer): void => {
    output += d.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const stop = async (): Promise<void> => {
    await stopChild(child, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const m = await new Promise<RegExpMatchArray>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('the node did not start within 30 s')), 30_000);
      const check = (): void => {
        const found = READY.exec(output);
        if (found) {
          clearTimeout(timer);
          ok(found);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        fail(new Error('the node exited while starting'));
      });
    });
    // Stop keeping its output, but keep draining it so a chatty node never blocks on a full pipe.
    child.stdout.removeAllListeners('data').resume();
    child.stderr.removeAllListeners('data').resume();
    return {
      host: m[1] as string,
      port: Number(m[2]),
      dataDir,
      pid: child.pid as number,
      running: () => child.exitCode === null && child.signalCode === null,
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; its output:\n${output}`, { cause: err });
  }
}
