// A throwaway `distdb storage` engine for the storage benchmarks: data in a
// temporary directory, stopped and removed afterwards.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface OwnEngine {
  socket: string;
  pid: number;
  stop(): Promise<void>;
}

export async function ownEngine(): Promise<OwnEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'distdb-bench-storage-'));
  const child = spawn(process.execPath, [MAIN, 'storage', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const socket = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /distdb storage ready socket=(\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', () =>
      reject(new Error(`storage engine exited before it was ready:\n${out}`)),
    );
  });
  return {
    socket,
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
