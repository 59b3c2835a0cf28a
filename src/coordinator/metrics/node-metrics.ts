// A node's metrics: one prom-client Registry per node (not the global one, so
// several nodes can run in one process, as tests do), serving the Prometheus
// text format, and a rolling window of the last seconds for the dashboard.
// Every metric is listed with its meaning in docs/operations.md.
//
// Recording on the hot path is one call per command (commandDone): typed-array
// increments, no allocation. Everything the node counts anyway (NodeStats,
// Raft status, the storage engine's statistics) is read at scrape time.

import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Role } from '../../raft/types.js';
import type { GroupStats } from '../../storage/api.js';
import type { NodeStats } from '../command-context.js';
import { READ_CANCELLED_REPLY } from '../command-error.js';
import type { CommandSpec } from '../command-table.js';
import { KEYSPACE_GROUP } from '../commands/group.js';
import type { ClusterStatus } from '../replication/replication.js';
import type { StorageLink } from '../storage-link.js';
import { CommandMetrics } from './command-metrics.js';
import { LatencyWindow, type RecentLoad } from './latency-window.js';
import { ReplicationMetrics } from './replication-metrics.js';
import { ReplyErrors } from './reply-errors.js';
import { registerScraped, registerScrapedCounter, type ScrapedValue } from './scraped-metric.js';

export type { RecentLoad } from './latency-window.js';

/** What the node keeps that its metrics read at scrape time. */
export interface NodeMetricsSources {
  readonly commands: ReadonlyMap<string, CommandSpec>;
  readonly stats: NodeStats;
  readonly storage: StorageLink;
  clientCount(): number;
  /** The Raft group's status; null on a standalone coordinator. */
  replication(): ClusterStatus | null;
}

const ROLES: readonly Role[] = ['follower', 'pre-candidate', 'candidate', 'leader'];
/** How long a scrape waits for the storage engine's statistics. */
const STORAGE_STATS_TIMEOUT_MS = 1000;

export class NodeMetrics {
  readonly registry = new Registry();
  /** Recorded by the replication layer (cluster-node.ts, raft-driver.ts). */
  readonly replication: ReplicationMetrics;
  private readonly commands: CommandMetrics;
  private readonly errors: ReplyErrors;
  private readonly window = new LatencyWindow();
  /** Reads dropped because their client was gone (READ_CANCELLED_REPLY). */
  private readsCancelled = 0;
  private storageStats: Promise<GroupStats | null> | null = null;

  constructor(private readonly sources: NodeMetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.commands = new CommandMetrics(sources.commands, r);
    this.errors = new ReplyErrors(r);
    this.replication = new ReplicationMetrics(r);
    this.clientMetrics();
    this.storageMetrics();
    this.raftMetrics();
  }

  /**
   * A command's reply is ready: records its latency (from `startedMs`, a
   * performance.now() reading taken when it was read) and whether it failed.
   * A read dropped because its client was gone is counted apart: neither a
   * command answered nor an error of one.
   */
  commandDone(spec: CommandSpec | undefined, startedMs: number, reply: Buffer): void {
    if (reply === READ_CANCELLED_REPLY) {
      this.readsCancelled++;
      return;
    }
    const now = performance.now();
    const ms = now - startedMs;
    this.commands.series(spec).observe(ms / 1000);
    this.window.record(ms, now);
    this.errors.note(reply);
  }

  /** Operations per second and latency percentiles of the last few seconds (the dashboard's chart). */
  recent(): RecentLoad {
    return this.window.recent();
  }

  private clientMetrics(): void {
    const { stats } = this.sources;
    const counter = (name: string, help: string, read: () => number): void =>
      registerScrapedCounter(this.registry, name, help, read);
    registerScraped(this.registry, {
      name: 'distdb_connected_clients',
      help: 'Client connections open now',
      type: 'gauge',
      values: () => [{ value: this.sources.clientCount() }],
    });
    counter(
      'distdb_connections_received_total',
      'Client connections accepted by the listener (refused ones included)',
      () => stats.connectionsReceived,
    );
    counter(
      'distdb_connections_rejected_total',
      'Client connections refused because --max-clients were open',
      () => stats.connectionsRejected,
    );
    counter('distdb_net_input_bytes_total', 'Bytes read from clients', () => stats.netInputBytes);
    counter(
      'distdb_net_output_bytes_total',
      'Bytes written to clients',
      () => stats.netOutputBytes,
    );
    counter(
      'distdb_protocol_errors_total',
      'Client connections closed for a protocol error (input that is not RESP or breaks a limit)',
      () => stats.protocolErrors,
    );
    counter(
      'distdb_output_buffer_disconnects_total',
      'Clients disconnected for not reading their replies (--max-output-buffer)',
      () => stats.outputBufferDisconnects,
    );
    counter(
      'distdb_reads_cancelled_total',
      'Reads dropped unanswered, before the storage engine was asked, because their client disconnected or was cut off (not counted as commands or command errors)',
      () => this.readsCancelled,
    );
  }

  private storageMetrics(): void {
    const { storage } = this.sources;
    registerScraped(this.registry, {
      name: 'distdb_storage_connected',
      help: 'Whether the coordinator is connected to its storage engine (1) or not (0)',
      type: 'gauge',
      values: () => [{ value: storage.connected ? 1 : 0 }],
    });
    registerScraped(this.registry, {
      name: 'distdb_storage_connects_total',
      help: 'Connections made to the storage engine; more than 1 means it restarted or the link was lost',
      type: 'counter',
      values: () => [{ value: storage.connects }],
    });
    const fromStats = (
      name: string,
      help: string,
      type: 'gauge' | 'counter',
      read: (s: GroupStats) => number | undefined,
    ): void =>
      registerScraped(this.registry, {
        name,
        help,
        type,
        values: async (): Promise<ScrapedValue[]> => {
          const s = await this.fetchStorageStats();
          const v = s === null ? undefined : read(s);
          return v === undefined ? [] : [{ value: v }];
        },
      });
    fromStats('distdb_storage_keys', 'Keys stored', 'gauge', (s) => s.keys);
    fromStats(
      'distdb_storage_disk_bytes',
      "Bytes the storage engine's files take on disk: LMDB's data file plus the Raft write-ahead log's segments",
      'gauge',
      (s) => s.diskBytes,
    );
    fromStats(
      'distdb_storage_commits_total',
      "The storage engine's durable LMDB commits (state machine, sessions, snapshots) since it started; Raft log writes go to its write-ahead log and are not counted",
      'counter',
      (s) => s.commits,
    );
    fromStats(
      'distdb_storage_committed_writes_total',
      'Write requests those LMDB commits carried since the engine started; divided by commits it is their group-commit batch size',
      'counter',
      (s) => s.committedWrites,
    );
    fromStats(
      'distdb_storage_wal_writes_total',
      "Durable writes to the storage engine's Raft write-ahead log since it started (one O_DSYNC writev each, at most 1 MiB or one larger record)",
      'counter',
      (s) => s.walWrites,
    );
    fromStats(
      'distdb_storage_wal_written_bytes_total',
      "Bytes written to the storage engine's Raft write-ahead log since it started; divided by its writes it is their size",
      'counter',
      (s) => s.walWrittenBytes,
    );
  }

  /**
   * One stats request per scrape, shared by the metrics that read it; none
   * while disconnected, and a busy engine's slow answer is not waited for
   * (the storage metrics are left out of that scrape rather than stall it).
   */
  private fetchStorageStats(): Promise<GroupStats | null> {
    if (this.storageStats) return this.storageStats;
    const storage = this.sources.storage;
    if (!storage.connected) return Promise.resolve(null);
    let timer: NodeJS.Timeout | undefined;
    const p = Promise.race([
      storage
        .api()
        .stats(KEYSPACE_GROUP)
        .catch(() => null),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), STORAGE_STATS_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    this.storageStats = p;
    // The metrics of one scrape ask within one turn; the next scrape asks again.
    void p.then(() => setImmediate(() => (this.storageStats = null)));
    return p;
  }

  private raftMetrics(): void {
    const status = (): ClusterStatus | null => this.sources.replication();
    const gauge = (name: string, help: string, read: (s: ClusterStatus) => number): void =>
      registerScraped(this.registry, {
        name,
        help,
        type: 'gauge',
        values: () => {
          const s = status();
          return s === null ? [] : [{ value: read(s) }];
        },
      });
    gauge('distdb_raft_term', 'Current Raft term', (s) => s.term);
    gauge('distdb_raft_commit_index', 'Highest log index known to be committed', (s) => s.commit);
    gauge(
      'distdb_raft_applied_index',
      "Highest log index applied to this node's state machine",
      (s) => s.applied,
    );
    gauge(
      'distdb_raft_apply_lag_entries',
      'Committed entries not yet applied here (commit index minus applied index)',
      (s) => Math.max(0, s.commit - s.applied),
    );
    gauge('distdb_raft_leader_known', 'Whether this node knows a leader (1) or not (0)', (s) =>
      s.leader === null ? 0 : 1,
    );
    registerScraped(this.registry, {
      name: 'distdb_raft_role',
      help: "This node's Raft role: 1 for the current one, 0 for the others",
      type: 'gauge',
      values: () => {
        const s = status();
        if (s === null) return [];
        return ROLES.map((role) => ({ labels: { role }, value: s.role === role ? 1 : 0 }));
      },
    });
    registerScraped(this.registry, {
      name: 'distdb_raft_members',
      help: 'Members of the Raft group, by kind (voter, learner)',
      type: 'gauge',
      values: () => {
        const s = status();
        if (s === null) return [];
        const voters = s.members.filter((m) => m.role === 'voter').length;
        return [
          { labels: { kind: 'voter' }, value: voters },
          { labels: { kind: 'learner' }, value: s.members.length - voters },
        ];
      },
    });
    const perPeer = (name: string, help: string, read: (match: number, lag: number) => number) =>
      registerScraped(this.registry, {
        name,
        help,
        type: 'gauge',
        values: () => {
          const s = status();
          if (s === null) return [];
          const out: ScrapedValue[] = [];
          for (const m of s.members) {
            if (m.id === s.id || m.match === null || m.lag === null) continue;
            out.push({ labels: { peer: m.id }, value: read(m.match, m.lag) });
          }
          return out;
        },
      });
    perPeer(
      'distdb_raft_peer_match_index',
      'Highest log index known to be replicated to each peer (on the leader only)',
      (match) => match,
    );
    perPeer(
      'distdb_raft_peer_lag_entries',
      "Entries of the leader's log a peer does not have yet (last index minus its match index; on the leader only)",
      (_, lag) => lag,
    );
    registerScraped(this.registry, {
      name: 'distdb_raft_peer_lazy',
      help: 'Whether the leader sends a peer its entries lazily, at most every --lazy-follower-ms, a quorum not needing it (1) or at once (0); on the leader only',
      type: 'gauge',
      values: () =>
        (status()?.members ?? []).flatMap((m) =>
          m.lazy === null ? [] : [{ labels: { peer: m.id }, value: m.lazy ? 1 : 0 }],
        ),
    });
  }
}
