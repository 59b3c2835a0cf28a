// One node's own figures, as /status shows them for every member: its view
// of Raft (role, term, commit, applied), its key count and storage size, and
// its recent throughput and latency. Members ask each other for these over
// the peer transport (cluster-node.ts `figures`), so the dashboard of any node
// shows every node's figures without knowing their HTTP ports.

import type { NodeState } from '../command-context.js';
import { KEYSPACE_GROUP } from '../commands/group.js';
import type { RecentLoad } from '../metrics/node-metrics.js';

export interface NodeFigures {
  id: string;
  /** leader, follower, candidate, ... ('standalone' for a coordinator without a cluster). */
  role: string;
  term: number;
  leader: string | null;
  commit: number;
  applied: number;
  /** Whether the storage engine answered; when false the key and byte counts are null. */
  storage: boolean;
  keys: number | null;
  diskBytes: number | null;
  opsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  /** Commands run since the node started. */
  commandsTotal: number;
  uptimeMs: number;
  /** Where this node's HTTP port listens (host:port), or null when it has none. */
  http: string | null;
}

/** How long the storage engine may take to report its counts. */
const STORAGE_STATS_TIMEOUT_MS = 1000;

export async function nodeFigures(
  node: NodeState,
  recent: (() => RecentLoad) | null,
  http: string | null,
): Promise<NodeFigures> {
  const st = node.replication?.status() ?? null;
  const stats = await storageStats(node);
  const load = recent?.() ?? null;
  return {
    id: st?.id ?? `${node.host}:${node.port}`,
    role: st?.role ?? 'standalone',
    term: st?.term ?? 0,
    leader: st?.leader ?? null,
    commit: st?.commit ?? 0,
    applied: st?.applied ?? stats?.appliedIndex ?? 0,
    storage: stats !== null,
    keys: stats?.keys ?? null,
    diskBytes: stats?.diskBytes ?? null,
    opsPerSec: load?.opsPerSec ?? null,
    p50Ms: load?.p50Ms ?? null,
    p99Ms: load?.p99Ms ?? null,
    p999Ms: load?.p999Ms ?? null,
    commandsTotal: load?.commandsTotal ?? node.stats.commandsProcessed,
    uptimeMs: Date.now() - node.startedAt,
    http,
  };
}

/** The engine's counts, or null when it is unreachable or slow. */
async function storageStats(
  node: NodeState,
): Promise<{ keys: number; diskBytes: number; appliedIndex: number } | null> {
  if (!node.storage.connected) return null;
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STORAGE_STATS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([node.storage.api().stats(KEYSPACE_GROUP), slow]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
