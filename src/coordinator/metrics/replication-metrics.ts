// What the replication layer records as it runs: leader changes, proposals,
// snapshots, and how long the storage engine takes to make the log and the
// state machine durable (and how many entries each call carries). Recorded
// once per Raft batch or event, never per byte; Raft's positions (term,
// commit, applied, peers' match) are read from its status at scrape time
// instead (see node-metrics.ts).

import type { Registry } from 'prom-client';
import { BATCH_BUCKETS, HistogramSeries, LATENCY_BUCKETS } from './histogram-series.js';
import { registerScraped, registerScrapedCounter } from './scraped-metric.js';

/** Storage calls on the replication path whose latency and batch size are recorded. */
type StorageCall = 'append' | 'apply';

export class ReplicationMetrics {
  private leader: string | null = null;
  leaderChanges = 0;
  proposals = 0;
  writesAnsweredAtCommit = 0;
  snapshotsTaken = 0;
  snapshotsInstalled = 0;
  /** Bytes of snapshot chunks being read from the engine to send a follower (never the image). */
  snapshotHeldBytes = 0;
  private readonly latency = new Map<StorageCall | 'snapshot', HistogramSeries>();
  private readonly batch = new Map<StorageCall, HistogramSeries>();

  constructor(registry: Registry) {
    for (const op of ['append', 'apply'] as const) {
      this.latency.set(op, new HistogramSeries(LATENCY_BUCKETS, { op }));
      this.batch.set(op, new HistogramSeries(BATCH_BUCKETS, { op }));
    }
    this.latency.set('snapshot', new HistogramSeries(LATENCY_BUCKETS, { op: 'snapshot' }));
    const counter = (name: string, help: string, read: () => number): void =>
      registerScrapedCounter(registry, name, help, read);
    counter(
      'distdb_raft_leader_changes_total',
      'Times this node saw a new leader (itself included)',
      () => this.leaderChanges,
    );
    counter(
      'distdb_raft_proposals_total',
      'Entries proposed on this node as leader (writes and membership changes)',
      () => this.proposals,
    );
    counter(
      'distdb_writes_answered_at_commit_total',
      'Writes answered once committed, before this node applied them: their result does not depend on the state (a plain SET, MSET)',
      () => this.writesAnsweredAtCommit,
    );
    counter(
      'distdb_raft_snapshots_taken_total',
      'Snapshots of the state machine taken here (each compacts the log)',
      () => this.snapshotsTaken,
    );
    counter(
      'distdb_raft_snapshots_installed_total',
      'Snapshots received from the leader and installed (this node was too far behind)',
      () => this.snapshotsInstalled,
    );
    registerScraped(registry, {
      name: 'distdb_raft_snapshot_held_bytes',
      help: 'Bytes of Raft snapshot chunks being read from the storage engine to send a follower that fell behind the log (about 1 MiB per such follower, never the whole image), 0 otherwise',
      type: 'gauge',
      values: () => [{ value: this.snapshotHeldBytes }],
    });
    registerScraped(registry, {
      name: 'distdb_storage_request_duration_seconds',
      help: 'Time the storage engine took, seen from the coordinator, to durably append Raft entries (append), apply committed ones (apply), or export and save a snapshot (snapshot)',
      type: 'histogram',
      values: () =>
        [...this.latency.values()].flatMap((s) =>
          s.values('distdb_storage_request_duration_seconds'),
        ),
    });
    registerScraped(registry, {
      name: 'distdb_storage_batch_size',
      help: 'Raft entries carried by one storage append, and committed entries by one apply',
      type: 'histogram',
      values: () => [...this.batch.values()].flatMap((s) => s.values('distdb_storage_batch_size')),
    });
  }

  /** The driver's view of the leader, whenever its role or leader changes. */
  leaderSeen(leader: string | null): void {
    if (leader === null || leader === this.leader) return;
    this.leader = leader;
    this.leaderChanges++;
  }

  /** A storage call of `entries` entries that took `ms` milliseconds. */
  storageCall(op: StorageCall, ms: number, entries: number): void {
    this.latency.get(op)!.observe(ms / 1000);
    this.batch.get(op)!.observe(entries);
  }

  /** A snapshot was taken (the state exported and saved, the log compacted) in `ms` milliseconds. */
  snapshotTaken(ms: number): void {
    this.snapshotsTaken++;
    this.latency.get('snapshot')!.observe(ms / 1000);
  }
}
