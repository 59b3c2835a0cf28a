// The server processes the harness starts: output to a log file, readiness
// recognised in that output, and stopped by PID (SIGTERM, then SIGKILL) —
// after the run, on failure and on Ctrl-C. Every live one is registered so a
// last-chance exit handler can kill what is left.

import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once a line of output matches `re`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The last lines it wrote, for error messages. */
  lastWords(): string;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ServerProcess>();

process.once('exit', () => {
  for (const s of live) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Stops every server still running (Ctrl-C, failure). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

/** Takes charge of a spawned child whose stdout and stderr are pipes. */
export function manageServer(name: string, child: ChildProcess, logFile: string): ServerProcess {
  // A failed spawn reports through 'error'; listening keeps it from crashing the harness.
  child.once('error', () => undefined);
  if (child.pid === undefined) throw new Error(`could not start ${name} (is it installed?)`);
  const pid = child.pid;
  const log = createWriteStream(logFile, { flags: 'a' });
  const recent: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let exitInfo: string | null = null;
  const exited = new Promise<void>((ok) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal ?? `status ${code}`;
      live.delete(server);
      ok();
    });
  });
  let rest = '';
  const onData = (d: Buffer): void => {
    log.write(d);
    const lines = (rest + d.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      for (const w of watchers) w(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const server: ServerProcess = {
    name,
    pid,
    logFile,
    waitFor(re, timeoutMs) {
      return new Promise((ok, fail) => {
        const done = (): void => {
          watchers.delete(watch);
          clearTimeout(timer);
        };
        const watch = (line: string): void => {
          const m = re.exec(line);
          if (m) {
            done();
            ok(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          fail(
            new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${server.lastWords()}`),
          );
        }, timeoutMs);
        watchers.add(watch);
        void exited.then(() => {
          if (!watchers.has(watch)) return;
          done();
          fail(new Error(`${name} exited (${exitInfo}) while starting:\n${server.lastWords()}`));
        });
      });
    },
    lastWords: () => recent.join('\n'),
    async stop(graceMs = 10_000) {
      if (exitInfo !== null) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
  live.add(server);
  return server;
}
