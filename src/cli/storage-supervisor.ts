// Runs a node's storage engine as a child process and keeps it running: if it
// dies, it is started again after a backoff delay (short at first, longer if
// it keeps dying), and every exit and restart is logged. Stopping the
// supervisor stops the engine. What an engine says when a failure of its
// stores stops it is kept until the next one is ready, so that clients are
// told why the engine is restarting.

import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { eachLine, spawnDistdb, stopChild } from './child-process.js';
import type { LogSettings } from './log-options.js';

export interface StorageSupervisorOptions {
  dataDir: string;
  socket: string;
  /** The node the engine belongs to (its --id, named in its log lines). */
  nodeId: string;
  /** The engine logs as the node does (its --log-level and --log-format). */
  logSettings: LogSettings;
  /** The supervisor's own log. */
  log: Logger;
}

const READY = /distdb storage ready socket=(\S+)/;
const STOPPED = /^distdb storage stopped: (.+)$/;
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
  /** Why the last engine stopped, as it said ("an LMDB commit failed (...)"); null once another is ready. */
  stoppedBecause: string | null = null;

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
    const { dataDir, socket, nodeId, logSettings, log } = this.opts;
    const child = spawnDistdb([
      'storage',
      '--data-dir',
      dataDir,
      '--socket',
      socket,
      '--id',
      nodeId,
      '--log-level',
      logSettings.level,
      '--log-format',
      logSettings.format,
    ]);
    this.child = child;
    const startedAt = Date.now();
    let ready = false;
    return new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => {
        log.error(
          `the storage engine did not become ready within ${READY_TIMEOUT_MS} ms; stopping it`,
        );
        child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      eachLine(child.stdout!, (line) => {
        const stopped = STOPPED.exec(line);
        if (stopped) {
          // Its own log has said so at fatal.
          this.stoppedBecause = stopped[1] as string;
        } else if (!ready && READY.test(line)) {
          ready = true;
          this.stoppedBecause = null;
          clearTimeout(timer);
          // Tests and scripts find the engine's pid in this message.
          log.info({ enginePid: child.pid, socket }, `storage engine running pid=${child.pid}`);
          ok();
        } else {
          log.info({ output: line }, 'storage engine output');
        }
      });
      eachLine(child.stderr!, (line) => this.engineLogLine(line));
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

  /**
   * The engine logs as this node does (same format, its node id), so its lines
   * pass through; anything else it prints (a crash's stack trace) is wrapped
   * into a log line, so the node's stderr stays one JSON object per line.
   */
  private engineLogLine(line: string): void {
    if (this.opts.logSettings.format === 'pretty' || line.startsWith('{')) {
      process.stderr.write(line + '\n');
    } else if (line !== '') {
      this.opts.log.warn({ output: line }, 'storage engine output');
    }
  }

  private scheduleRestart(how: string): void {
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures);
    this.failures++;
    this.opts.log.warn(
      { delayMs: delay },
      `the storage engine ${how}; restarting it in ${delay} ms`,
    );
    this.restartTimer = setTimeout(() => {
      this.launch().catch((err: Error) => {
        if (this.stopping) return;
        this.scheduleRestart(err.message.replace(/^the storage engine /, ''));
      });
    }, delay);
  }
}
