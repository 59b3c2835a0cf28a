// One simulated run, a pure function of its options: build the cluster, run
// `steps` events under the fault mix, then heal everything, let the cluster
// settle and judge the end state and the clients' history.

import type { HistoryFile } from '../check/history.js';
import type { SearchVerdict } from '../check/register-search.js';
import { RaftInvariantError, type ReadOnlyOption } from '../raft/types.js';
import type { SimBugs } from './bugs.js';
import { CLIENT_COUNTERS, CLIENT_KEYS } from './clients.js';
import { Cluster, TICK_MS } from './cluster.js';
import { type FaultMix } from './fault-mixes.js';
import { checkLinearizability, formatCheckResult } from '../check/linearizability.js';
import { Nemesis } from './nemesis.js';
import { SafetyViolation } from './safety-monitor.js';

export interface SimOptions {
  seed: number;
  /**
   * Clock ticks of virtual time (TICK_MS each) to run under faults. Within a
   * step every node ticks once and every event due runs: deliveries, disk
   * completions, client requests, faults.
   */
  steps: number;
  nodes: number;
  mix: FaultMix;
  /** How ReadIndex confirms leadership: a heartbeat round, or the leader's lease. Default safe. */
  reads?: ReadOnlyOption;
  bugs?: SimBugs;
  /** Leaders send appends before their own log write completes (allowed by the thesis §10.2.1). */
  leaderEarlySend?: boolean;
  /** Applied entries between snapshots. */
  compactEvery?: number;
  /** Nodes compact without the snapshot's data and provide it when a follower needs it. */
  lazySnapshots?: boolean;
  trace?: (line: string) => void;
  /** Receives the client history at the end (to save it as a file for the checker). */
  onHistory?: (history: HistoryFile) => void;
}

export interface SimFailure {
  property: string;
  detail: string;
  /** Step (tick of virtual time) and virtual ms at which it was detected. */
  step: number;
  time: number;
}

export interface SimResult {
  seed: number;
  mix: string;
  nodes: number;
  reads: ReadOnlyOption;
  earlySend: boolean;
  lazySnapshots: boolean;
  steps: number;
  settleSteps: number;
  /** Events run in all: deliveries, ticks, disk completions, client and fault actions. */
  events: number;
  virtualMs: number;
  failure: SimFailure | null;
  ops: { ok: number; fail: number; unknown: number };
  committed: number;
  messages: number;
  crashes: number;
  partitions: number;
  confChanges: number;
  /** Terms that elected a leader. */
  leaderTerms: number;
  /** Snapshots followers installed from a leader. */
  snapshots: number;
  /** Partly received snapshots a follower dropped (a new leader, term or transfer; not needed). */
  snapshotsDropped: number;
  /** Snapshot chunks leaders read from disk to send, and reads refused (the snapshot moved). */
  chunksRead: number;
  chunkReadsRefused: number;
  checks: number;
  /** The checker's verdict on the client history; null when the run failed before it. */
  linearizable: SearchVerdict | null;
}

export const DEFAULT_COMPACT_EVERY = 50;

/** Settling gives up after this much virtual time: then the cluster failed to recover. */
const SETTLE_LIMIT_MS = 60_000;

export function runSimulation(opts: SimOptions): SimResult {
  const cluster = new Cluster({
    seed: opts.seed,
    nodes: opts.nodes,
    bugs: opts.bugs ?? {},
    diskDelay: opts.mix.diskDelay,
    compactEvery: opts.compactEvery ?? DEFAULT_COMPACT_EVERY,
    reads: opts.reads ?? 'safe',
    leaderEarlySend: opts.leaderEarlySend ?? false,
    lazySnapshots: opts.lazySnapshots ?? false,
    trace: opts.trace ?? null,
  });
  const nemesis = new Nemesis(cluster, opts.mix, cluster.rng.derive('nemesis'));
  const queue = cluster.queue;
  let events = 0;
  let linearizable: SearchVerdict | null = null;
  let failure: SimFailure | null = null;
  const fail = (property: string, detail: string): void => {
    failure = { property, detail, step: Math.floor(queue.now / TICK_MS), time: queue.now };
  };
  const end = opts.steps * TICK_MS;
  let settleEnd = end;
  try {
    nemesis.start();
    while (queue.now < end && queue.runNext()) events++;
    nemesis.stop();
    for (const c of cluster.clients) c.draining = true;
    const deadline = queue.now + SETTLE_LIMIT_MS;
    while (queue.now < deadline && !settled(cluster) && queue.runNext()) events++;
    settleEnd = queue.now;
    for (const c of cluster.clients) c.abandon();
    const why = settled(cluster) ? null : unsettledReason(cluster);
    if (why) fail('recovery', why);
    else linearizable = checkEnd(cluster, fail);
  } catch (e) {
    if (e instanceof SafetyViolation) fail(e.property, e.detail);
    else if (e instanceof RaftInvariantError) {
      fail('core invariant', `${e.message}\nstate: ${JSON.stringify(e.state).slice(0, 2000)}`);
    } else fail('exception', e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  opts.onHistory?.(cluster.history.toJSON());
  const ops = { ok: 0, fail: 0, unknown: 0 };
  for (const op of cluster.history.operations()) ops[op.status]++;
  return {
    seed: opts.seed,
    mix: opts.mix.name,
    nodes: opts.nodes,
    reads: opts.reads ?? 'safe',
    earlySend: opts.leaderEarlySend ?? false,
    lazySnapshots: opts.lazySnapshots ?? false,
    steps: opts.steps,
    settleSteps: Math.ceil((settleEnd - end) / TICK_MS),
    events,
    virtualMs: Math.round(queue.now),
    failure,
    ops,
    committed: cluster.monitor.committedIndex,
    messages: cluster.network.sent,
    crashes: cluster.stats.crashes,
    partitions: nemesis.partitions,
    confChanges: cluster.stats.confChanges,
    leaderTerms: cluster.monitor.leaderTerms,
    snapshots: cluster.monitor.snapshotsInstalled,
    snapshotsDropped: cluster.monitor.snapshotsDropped,
    chunksRead: cluster.monitor.snapshotChunksRead,
    chunkReadsRefused: cluster.monitor.snapshotChunkReadsRefused,
    checks: cluster.monitor.checks,
    linearizable,
  };
}

/** Clients are done and every member applied everything the leader committed. */
function settled(c: Cluster): boolean {
  if (!c.clients.every((cl) => cl.idle)) return false;
  const leader = c.leader();
  const raw = leader?.raw;
  if (!leader || !raw) return false;
  const commit = raw.status().commit;
  if (commit < c.monitor.committedIndex) return false;
  const conf = leader.conf;
  for (const id of [...conf.voters, ...conf.learners]) {
    const n = c.nodes.get(id);
    if (!n || !n.up || n.applied !== commit) return false;
  }
  return true;
}

function unsettledReason(c: Cluster): string {
  const leader = c.leader();
  const busy = c.clients.filter((cl) => !cl.idle).length;
  const nodes = [...c.nodes.values()]
    .filter((n) => !c.retired.has(n.id))
    .map((n) => `${n.id}:${n.up ? n.role : 'down'} term=${n.term} applied=${n.applied}`)
    .join(', ');
  return (
    `after healing, no stable state within ${SETTLE_LIMIT_MS}ms of virtual time: ` +
    `leader=${leader?.id ?? 'none'} (commit ${leader?.raw?.status().commit ?? '-'}, voters ` +
    `${leader?.conf.voters.join(',') ?? '-'}, learners ${leader?.conf.learners.join(',') ?? '-'}), ` +
    `clients still waiting=${busy}, committed=${c.monitor.committedIndex}; ${nodes}`
  );
}

/** The end-state checks; returns the linearizability verdict ('unknown': search bound hit). */
function checkEnd(
  c: Cluster,
  fail: (property: string, detail: string) => void,
): SearchVerdict | null {
  for (const [session, what] of c.acked) {
    if (!c.monitor.appliedWrites.has(session)) {
      fail('durability', `acknowledged ${what} (session ${session}) is not in the committed log`);
      return null;
    }
  }
  // The settled state, read at every key: the history must explain it too.
  const leader = c.leader();
  for (const key of [...CLIENT_KEYS, ...CLIENT_COUNTERS]) {
    const value = leader?.state.get(Buffer.from(key));
    c.history.invoke('final', { kind: 'get', key }).ok(value ?? null);
  }
  const result = checkLinearizability(c.history.operations());
  if (result.verdict === 'violation') fail('linearizability', formatCheckResult(result));
  return result.verdict;
}
