// Group commit: write requests that arrive while a commit is in flight wait
// and go together into the next commit, so N concurrent writers cost far
// fewer than N fsyncs. One commit runs at a time (the backend needs that: a
// commit reads the state the previous one left). A new burst is gathered for
// one event-loop turn (setImmediate) so that requests read from the sockets
// in the same turn share the first commit too.

import type { StorageBackend, WriteOp, WriteResult } from './backend.js';

/** Default most write requests in one commit (bounds a transaction's size). */
export const DEFAULT_MAX_WRITES_PER_COMMIT = 4096;

export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
}

interface Queued {
  op: WriteOp;
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

export interface CommitCounters {
  /** Durable commits so far. */
  commits: number;
  /** Write requests carried by those commits. */
  committedWrites: number;
  /** The most write requests one commit carried. */
  largestCommit: number;
}

export class GroupCommitter {
  private queue: Queued[] = [];
  private running = false;
  private scheduled = false;
  private closing = false;
  private readonly idleWaiters: Array<() => void> = [];
  readonly counters: CommitCounters = { commits: 0, committedWrites: 0, largestCommit: 0 };

  constructor(
    private readonly backend: StorageBackend,
    private readonly maxWritesPerCommit = DEFAULT_MAX_WRITES_PER_COMMIT,
  ) {}

  /** Resolves with the write's result once it is durable. */
  submit(op: WriteOp): Promise<WriteResult> {
    if (this.closing) {
      return Promise.reject(new ShuttingDownError('the storage engine is shutting down'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.run();
        });
      }
    });
  }

  /** Refuses new writes; resolves once every accepted one is committed. */
  close(): Promise<void> {
    this.closing = true;
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Up to the limit; an image install gets a commit of its own (see WriteOp). */
  private nextCommitSize(): number {
    const n = Math.min(this.queue.length, this.maxWritesPerCommit);
    for (let i = 0; i < n; i++) {
      if ((this.queue[i] as Queued).op.kind === 'image-install') return i === 0 ? 1 : i;
    }
    return n;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0) {
      const n = this.nextCommitSize();
      const batch = n === this.queue.length ? this.queue : this.queue.slice(0, n);
      this.queue = batch === this.queue ? [] : this.queue.slice(n);
      try {
        const outcomes = await this.backend.commit(batch.map((q) => q.op));
        this.counters.commits++;
        this.counters.committedWrites += batch.length;
        this.counters.largestCommit = Math.max(this.counters.largestCommit, batch.length);
        batch.forEach((q, i) => {
          const o = outcomes[i];
          if (o instanceof Error) q.reject(o);
          else q.resolve(o ?? null);
        });
      } catch (err) {
        for (const q of batch) q.reject(err as Error);
      }
    }
    this.running = false;
    if (!this.scheduled) for (const w of this.idleWaiters.splice(0)) w();
  }
}
