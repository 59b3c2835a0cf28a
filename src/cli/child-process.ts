// Starting and stopping the distdb child processes a parent supervises.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const ORPHAN_GUARD = pathToFileURL(
  fileURLToPath(new URL('./orphan-guard.js', import.meta.url)),
).href;

/**
 * Runs `distdb <args>` as a child. It has its own process group, so a Ctrl-C
 * at the terminal reaches only the parent, which stops children in order;
 * the orphan guard stops it if the parent dies first.
 */
export function spawnDistdb(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', ORPHAN_GUARD, MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Calls `onLine` with each complete line the stream produces. */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}
