import { Inflights } from './inflights.js';
import type { SnapshotMetadata } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A snapshot being streamed to one follower in chunks; `offset` = bytes it acknowledged. */
export interface SnapshotSend {
  metadata: SnapshotMetadata;
  /** Size of the snapshot's data in bytes. */
  total: number;
  /** The data, when the core holds it; null: each chunk is asked of the application. */
  data: Uint8Array | null;
  offset: number;
  /** The chunk this follower needs next was asked of the application and not yet sent. */
  asked: boolean;
  /** Heartbeat rounds since the follower last acknowledged a chunk (drives resends). */
  idleRounds: number;
  /** The leader's tick when the follower last answered anything (bounds a silent transfer). */
  heardAt: number;
}

/**
 * The leader's view of one follower (etcd's tracker.Progress):
 * - probe: one append at a time until we learn where its log matches;
 * - replicate: optimistic, pipelined appends inside the in-flight window;
 * - snapshot: the log it needs is compacted; a snapshot is being streamed.
 */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is out, wait for its answer (or a heartbeat answer). */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Index of the snapshot being sent while in snapshot state. */
  pendingSnapshot = 0;
  snapshotSend: SnapshotSend | null = null;
  /** The highest commit index it was told (lazy commit broadcast: see Raft.sendCommit). */
  commitSent = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotSend = null;
    this.inflights.reset();
  }

  becomeProbe(): void {
    this.resetState('probe');
    this.next = this.match + 1;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(
    metadata: SnapshotMetadata,
    total: number,
    data: Uint8Array | null,
    now: number,
  ): void {
    this.resetState('snapshot');
    this.pendingSnapshot = metadata.index;
    this.snapshotSend = {
      metadata,
      total,
      data,
      offset: 0,
      asked: false,
      idleRounds: 0,
      heardAt: now,
    };
  }

  /**
   * The transfer failed (refused, undeliverable, or the follower went
   * silent): probe again, but only after the follower's next heartbeat
   * answer, which starts the snapshot over (etcd's snapshot failure).
   */
  abortSnapshot(): void {
    this.becomeProbe();
    this.probeSent = true;
  }

  /** The follower answered (any message) at tick `now`. */
  heard(now: number): void {
    this.recentActive = true;
    if (this.snapshotSend !== null) this.snapshotSend.heardAt = now;
  }

  /** An acknowledgement up to `n`; returns whether match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the append after `rejected`; `matchHint` is where the
   * follower's log may match. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
