// Runs a node's storage engine as a child process and keeps it running: if it
// dies, it is started again after a backoff delay (short at first, longer if
// it keeps dying), and every exit and restart is logged. Stopping the
// supervisor stops the engine.

import type { ChildProcess } from 'node:child_process';
import { eachLine, spawnDistdb, stopChild } from './child-process.js';

export interface StorageSupervisorOptions {
  dataDir: string;
  socket: string;
  /** The engine's log level (its --log-level). */
  logLevel: string;
  /** Where log lines and the engine's own output go. */
  log: (line: string) => void;
}

const READY = /distdb storage ready socket=(\S+)/;
/** How long the engine may take to say it is ready. */
const READY_TIMEOUT_MS = 30_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5000;
/** An engine that stayed up this long is healthy again: the next restart is quick. */
const HEALTHY_AFTER_MS = 10_000;

export class StorageSupervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: StorageSupervisorOptions) {}

  /** Starts the engine; resolves once it is ready, rejects if it cannot start. */
  start(): Promise<void> {
    return this.launch();
  }

  /** Stops the engine (and any pending restart); resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child) await stopChild(this.child);
  }

  /** Sends SIGTERM without waiting, for process 'exit' handlers, which cannot wait. */
  killNow(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
    }
  }

  private launch(): Promise<void> {
    const { dataDir, socket, logLevel, log } = this.opts;
    const child = spawnDistdb([
      'storage',
      '--data-dir',
      dataDir,
      '--socket',
      socket,
      '--log-level',
      logLevel,
    ]);
    this.child = child;
    const startedAt = Date.now();
    let ready = false;
    return new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => {
        log(
          `distdb node: the storage engine did not become ready within ${READY_TIMEOUT_MS} ms; stopping it`,
        );
        child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      eachLine(child.stdout!, (line) => {
        log(line);
        if (!ready && READY.test(line)) {
          ready = true;
          clearTimeout(timer);
          log(`distdb node: storage engine running pid=${child.pid} socket=${socket}`);
          ok();
        }
      });
      eachLine(child.stderr!, log);
      child.once('error', (err) => {
        clearTimeout(timer);
        if (!ready) fail(new Error(`cannot start the storage engine: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        if (this.stopping) return;
        const how = signal ? `killed by ${signal}` : `exited with status ${code}`;
        if (!ready) {
          fail(new Error(`the storage engine ${how} before it was ready (data dir ${dataDir})`));
          return;
        }
        if (Date.now() - startedAt >= HEALTHY_AFTER_MS) this.failures = 0;
        this.scheduleRestart(how);
      });
    });
  }

  private scheduleRestart(how: string): void {
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures);
    this.failures++;
    this.opts.log(`distdb node: the storage engine ${how}; restarting it in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.launch().catch((err: Error) => {
        if (this.stopping) return;
        this.scheduleRestart(err.message.replace(/^the storage engine /, ''));
      });
    }, delay);
  }
}
