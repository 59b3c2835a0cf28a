// The coordinator's connection to its storage engine, kept alive: if the
// engine dies (and `distdb node` restarts it), the link reconnects with
// backoff. Meanwhile commands fail fast with TRYAGAIN instead of hanging.

import type { Logger } from 'pino';
import type { ImageExportApi, RaftStorageApi, StorageApi } from '../storage/api.js';
import { CommandError, STORAGE_UNAVAILABLE } from './command-error.js';

/** An open connection to the engine; `closed` settles when it is lost. */
export interface StorageSession {
  api: StorageApi & RaftStorageApi & ImageExportApi;
  closed: Promise<unknown>;
}

export type StorageOpener = () => Promise<StorageSession>;

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

export class StorageLink {
  private session: StorageSession | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private readonly waiters = new Set<() => void>();
  /** How many times a connection was established (1 after the first). */
  connects = 0;

  constructor(
    private readonly open: StorageOpener,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  get connected(): boolean {
    return this.session !== null;
  }

  /** The engine's API, or a TRYAGAIN CommandError while it is unavailable. */
  api(): StorageApi & RaftStorageApi & ImageExportApi {
    if (this.session === null) throw new CommandError(STORAGE_UNAVAILABLE);
    return this.session.api;
  }

  /** Resolves true once connected, or false after `ms`. */
  waitConnected(ms: number): Promise<boolean> {
    if (this.session) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.session !== null);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const s = this.session;
    this.session = null;
    if (s) await s.api.close().catch(() => undefined);
    for (const w of [...this.waiters]) w();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let session: StorageSession;
    try {
      session = await this.open();
    } catch (err) {
      if (this.retryMs === FIRST_RETRY_MS || this.retryMs >= MAX_RETRY_MS) {
        this.log.warn({ err: (err as Error).message }, 'storage engine not reachable; retrying');
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      await session.api.close().catch(() => undefined);
      return;
    }
    this.session = session;
    this.retryMs = FIRST_RETRY_MS;
    this.connects++;
    this.log.info({ connects: this.connects }, 'connected to the storage engine');
    for (const w of [...this.waiters]) w();
    void session.closed.then(
      () => this.lost(session),
      () => this.lost(session),
    );
  }

  private lost(session: StorageSession): void {
    if (this.session !== session) return;
    this.session = null;
    if (this.stopped) return;
    this.log.warn('lost the storage engine connection; reconnecting');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
