// Group commit: write requests that arrive while a commit is in flight are
// staged together into the next commit, so N concurrent writers cost far
// fewer than N fsyncs. One commit runs at a time; the next one is staged on
// top of it meanwhile. A new burst is gathered for one event-loop turn
// (setImmediate) so that requests read from the sockets in the same turn
// share the first commit too.
//
// Most writes are answered once durable. A Raft replica's apply (an apply
// with an applied index) is answered as soon as it is staged: its outcome is
// already decided, the entries it applies are durable in the Raft log (the
// write-ahead log, raft-wal.ts: the backend starts no commit before the log
// writes queued ahead of it are durable), and commits are durable in order,
// so after a crash the state machine is at an applied index the log still
// covers and the coordinator re-applies the rest. What the coordinator was
// told then runs ahead of the disk until the commit lands; if a commit
// fails, `onLost` is told so the coordinator can reload.
//
// Such writes alone do not start a commit at once: they wait for the next
// durable write to share its commit, for APPLY_COMMIT_DELAY_MS, for
// MAX_STAGED_BYTES of them, or for a reader that needs them committed
// (`commitNow`). Log appends do not pass through here, so on a busy replica
// the applies commit behind the log, about once per APPLY_COMMIT_DELAY_MS,
// instead of one LMDB commit per append competing with the log's writes
// for the disk.

import type { StorageBackend, WriteOp, WriteResult } from './backend.js';

/** Default most write requests in one commit (bounds a transaction's size). */
export const DEFAULT_MAX_WRITES_PER_COMMIT = 4096;

/**
 * How long staged, already answered writes wait for a durable write to share
 * its commit. Longer means fewer, larger LMDB commits: each commit writes
 * every B-tree page its puts dirtied (one pwrite each) plus the branch
 * pages, session pages and free list, and a page dirtied by many puts
 * between two commits is written once. Nothing waits for it: the entries
 * are durable in the Raft log, and a crash re-applies at most this much of
 * it. 1 s against 50 ms: ~15% more puts/s at 64 clients, a third of the
 * engine's page writes (docs/performance-log.md, levers 8 and 12).
 */
export const APPLY_COMMIT_DELAY_MS = 1000;

/**
 * Staged writes commit at once when their keys and values reach this many
 * bytes, whatever the delay: it bounds what an engine holds in memory for
 * its next commit (a burst of large values), and how much one commit writes.
 */
export const MAX_STAGED_BYTES = 64 * 1024 * 1024;

export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
}

interface Queued {
  op: WriteOp;
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

/** A reader of the committed state, waiting in the queue for what is before it to commit. */
interface AtCommitted {
  op: null;
  run(): void;
}

interface Staged {
  q: Queued;
  result: WriteResult;
}

export interface CommitCounters {
  /** Durable commits so far. */
  commits: number;
  /** Write requests carried by those commits. */
  committedWrites: number;
  /** The most write requests one commit carried. */
  largestCommit: number;
}

/**
 * Must this write be committed alone, with nothing staged or in flight under
 * it and nothing staged over it until it is committed (see WriteOp)?
 */
function commitsAlone(op: WriteOp | null): boolean {
  return op !== null && op.kind === 'image-install';
}

/** May this write be answered before its commit is durable? */
function answersWhenStaged(op: WriteOp): boolean {
  return op.kind === 'apply' && op.appliedIndex !== 0;
}

export class GroupCommitter {
  private queue: Array<Queued | AtCommitted> = [];
  /** Staged writes waiting for the next commit to be durable. */
  private waiting: Staged[] = [];
  /** Writes staged since the last commit began (answered or not). */
  private stagedCount = 0;
  /** Staged writes already answered, whose commit has not landed. */
  private answeredEarly = 0;
  private committing = false;
  private delayed: NodeJS.Timeout | null = null;
  /** A reader asked for what is staged to be committed. */
  private wanted = false;
  /** A commit is in flight (not just the loop running). */
  private inFlight = false;
  /** The queue's head reads the committed state, or commits alone, and waits for what is before it to commit. */
  private blocked = false;
  /** What is staged commits alone: nothing more is staged until it is committed. */
  private alone = false;
  private scheduled = false;
  private closing = false;
  private readonly idleWaiters: Array<() => void> = [];
  readonly counters: CommitCounters = { commits: 0, committedWrites: 0, largestCommit: 0 };

  private readonly maxWritesPerCommit: number;
  private readonly applyCommitDelayMs: number;
  private readonly maxStagedBytes: number;
  private readonly onLost: (err: Error) => void;

  constructor(
    private readonly backend: StorageBackend,
    opts: {
      maxWritesPerCommit?: number;
      applyCommitDelayMs?: number;
      maxStagedBytes?: number;
      /** A commit failed after some of its writes were answered: they are lost. */
      onLost?: (err: Error) => void;
    } = {},
  ) {
    this.maxWritesPerCommit = opts.maxWritesPerCommit ?? DEFAULT_MAX_WRITES_PER_COMMIT;
    this.applyCommitDelayMs = opts.applyCommitDelayMs ?? APPLY_COMMIT_DELAY_MS;
    this.maxStagedBytes = opts.maxStagedBytes ?? MAX_STAGED_BYTES;
    this.onLost = opts.onLost ?? (() => undefined);
  }

  /** Resolves with the write's result once it is durable (or staged, see above). */
  submit(op: WriteOp): Promise<WriteResult> {
    if (this.closing) {
      return Promise.reject(new ShuttingDownError('the storage engine is shutting down'));
    }
    return new Promise((resolve, reject) => this.enqueue({ op, resolve, reject }));
  }

  /**
   * Runs `fn` once every write submitted before this call is committed and
   * before any write submitted after it is staged: `fn` sees the committed
   * state at exactly that point (a read snapshot opened in `fn` does).
   */
  atCommittedState<T>(fn: () => T): Promise<T> {
    if (this.closing) {
      return Promise.reject(new ShuttingDownError('the storage engine is shutting down'));
    }
    return new Promise((resolve, reject) =>
      this.enqueue({
        op: null,
        run: () => {
          try {
            resolve(fn());
          } catch (err) {
            reject(err as Error);
          }
        },
      }),
    );
  }

  private enqueue(item: Queued | AtCommitted): void {
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.stageQueued();
        this.commitWhenDue();
      });
    }
  }

  /** Starts committing what is staged without waiting for company (a reader needs it). */
  commitNow(): void {
    this.wanted = true;
    this.clearDelay();
    void this.commitLoop();
  }

  /** Refuses new writes; resolves once every accepted one is committed. */
  close(): Promise<void> {
    this.closing = true;
    this.commitNow();
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private idle(): boolean {
    return !this.committing && !this.scheduled && this.queue.length === 0 && this.stagedCount === 0;
  }

  /** Commits now if a staged write waits for durability (or the staged bytes are many), else within APPLY_COMMIT_DELAY_MS. */
  private commitWhenDue(): void {
    if (this.committing || this.stagedCount === 0) return;
    if (this.mustCommit()) {
      this.commitNow();
    } else {
      this.delayed ??= setTimeout(() => {
        this.delayed = null;
        void this.commitLoop();
      }, this.applyCommitDelayMs);
    }
  }

  private mustCommit(): boolean {
    return (
      this.wanted ||
      this.blocked ||
      this.waiting.length > 0 ||
      this.closing ||
      this.stagedCount >= this.maxWritesPerCommit ||
      this.backend.stagedBytes() >= this.maxStagedBytes
    );
  }

  private clearDelay(): void {
    if (this.delayed === null) return;
    clearTimeout(this.delayed);
    this.delayed = null;
  }

  /** Stages queued writes into the next commit, as many as it may carry, in order. */
  private stageQueued(): void {
    this.blocked = false;
    while (!this.alone) {
      const head = this.queue[0];
      if (head === undefined) return;
      if (head.op === null || commitsAlone(head.op)) {
        if (this.stagedCount > 0 || this.inFlight) {
          this.blocked = true;
          return;
        }
        this.queue.shift();
        if (head.op === null) {
          head.run();
        } else {
          this.alone = true;
          this.stage([head]);
        }
        continue;
      }
      const room = this.maxWritesPerCommit - this.stagedCount;
      let n = 0;
      while (n < room && n < this.queue.length) {
        const op = (this.queue[n] as Queued | AtCommitted).op;
        if (op === null || commitsAlone(op)) break;
        n++;
      }
      if (n === 0) return;
      const batch = this.queue.slice(0, n) as Queued[];
      this.queue = this.queue.slice(n);
      if (!this.stage(batch)) return;
    }
  }

  /** False if the backend failed and dropped everything staged. */
  private stage(batch: Queued[]): boolean {
    let outcomes;
    try {
      outcomes = this.backend.stage(batch.map((q) => q.op));
    } catch (err) {
      for (const q of batch) q.reject(err as Error);
      if (this.dropStaged(err as Error)) this.onLost(err as Error);
      return false;
    }
    this.stagedCount += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i] as Queued;
      const o = outcomes[i] ?? null;
      if (o instanceof Error) {
        q.reject(o);
      } else if (answersWhenStaged(q.op)) {
        this.answeredEarly++;
        q.resolve(o);
      } else {
        this.waiting.push({ q, result: o });
      }
    }
    return true;
  }

  private async commitLoop(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    this.clearDelay();
    while (this.stagedCount > 0) {
      this.wanted = false;
      const waiting = this.waiting;
      const count = this.stagedCount;
      const answered = this.answeredEarly;
      this.waiting = [];
      this.stagedCount = 0;
      this.answeredEarly = 0;
      try {
        this.inFlight = true;
        await this.backend.commitStaged();
        this.inFlight = false;
        this.alone = false;
        this.counters.commits++;
        this.counters.committedWrites += count;
        this.counters.largestCommit = Math.max(this.counters.largestCommit, count);
        for (const w of waiting) w.q.resolve(w.result);
      } catch (err) {
        this.inFlight = false;
        this.alone = false;
        for (const w of waiting) w.q.reject(err as Error);
        // The backend dropped what was staged on top of this commit too.
        if (this.dropStaged(err as Error) || answered > 0) this.onLost(err as Error);
      }
      this.stageQueued(); // writes that did not fit
      if (!this.mustCommit()) break; // only answered writes are staged: they wait for company
    }
    this.committing = false;
    this.commitWhenDue();
    if (this.idle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** The backend dropped everything staged: unanswered writes fail. True if answered ones were lost. */
  private dropStaged(err: Error): boolean {
    for (const w of this.waiting) w.q.reject(err);
    const lost = this.answeredEarly > 0;
    this.alone = false;
    this.waiting = [];
    this.stagedCount = 0;
    this.answeredEarly = 0;
    this.clearDelay(); // nothing is staged for it to commit
    return lost;
  }
}
