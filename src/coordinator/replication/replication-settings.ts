// Timings and sizes of a node's Raft group, with their defaults. See
// docs/cluster.md for why these values.

import type { GroupId, NodeId, RaftConfig } from '../../raft/types.js';

export interface ReplicationSettings {
  /** Real time per Raft tick, ms. */
  tickMs: number;
  /** Ticks without a leader before campaigning (randomized in [e, 2e)). */
  electionTick: number;
  heartbeatTick: number;
  /** Applied entries between two snapshots (log compactions). */
  snapshotEvery: number;
  /** Bytes of applied entries after which a snapshot is taken even before `snapshotEvery`. */
  snapshotBytes: number;
  /**
   * Bytes of log a leader may hold past a due snapshot while a follower
   * catches up (catch-up-watch.ts); beyond them it compacts anyway.
   */
  compactionHoldBytes: number;
  /** How long a write or linearizable read may wait for the cluster before it fails. */
  requestTimeoutMs: number;
  /**
   * Largest value a write may store (the node's --max-value-size): bounds
   * the old values an apply's results carry (batch-parts.ts).
   */
  maxValueBytes: number;
  /**
   * A leader sends the followers a quorum does not need their appends at
   * most this often (ms), in one frame (lazy-followers.ts); 0: at once.
   */
  lazyFollowerMs: number;
  /**
   * Linearizable reads on the leader's lease instead of a heartbeat round
   * each (docs/cluster.md, "Lease reads"): assumes clocks that run at
   * rates within 10% of each other.
   */
  readLease: boolean;
}

export const DEFAULT_REPLICATION: Readonly<ReplicationSettings> = {
  tickMs: 100,
  electionTick: 10,
  heartbeatTick: 1,
  snapshotEvery: 100_000,
  snapshotBytes: 64 * 1024 * 1024,
  compactionHoldBytes: 1024 * 1024 * 1024,
  requestTimeoutMs: 5000,
  maxValueBytes: 1024 * 1024,
  lazyFollowerMs: 15,
  readLease: false,
};

/** Largest single proposal: the coordinator's largest request plus headroom. */
const MAX_ENTRY_BYTES = 17 * 1024 * 1024;

/** The one Raft group holding the whole key space (multi-Raft later). */
export const KEYSPACE_RAFT_GROUP: GroupId = 0;

export function raftConfig(
  id: NodeId,
  group: GroupId,
  applied: number,
  s: ReplicationSettings,
): RaftConfig {
  return {
    id,
    group,
    electionTick: s.electionTick,
    heartbeatTick: s.heartbeatTick,
    // Election timing is the only randomness; it needs no seed.
    random: Math.random,
    preVote: true,
    checkQuorum: true,
    maxSizePerMsg: MAX_ENTRY_BYTES,
    maxInflightMsgs: 256,
    // A Ready's new entries fit one request of the engine's default frame
    // (64 MiB; a smaller one takes several, batch-parts.ts): a leader's are
    // bounded by the uncommitted limit, a follower's by what its leader keeps
    // in flight.
    maxInflightBytes: 32 * 1024 * 1024,
    maxUncommittedEntriesSize: 48 * 1024 * 1024,
    readOnlyOption: s.readLease ? 'lease' : 'safe',
    // A lease leader's lease then holds whichever nodes read on it: --read-lease
    // can be turned on one node at a time (docs/cluster.md, "Lease reads").
    keepLeaseAfterStart: true,
    snapshotChunkSize: 1024 * 1024,
    maxCommittedSizePerReady: MAX_ENTRY_BYTES,
    // Followers learn a commit with the next batch: see docs/performance-log.md, lever 20.
    lazyCommitBroadcast: true,
    // A read round asks a quorum, not every follower: docs/performance-log.md, lever 22.
    thriftyReadIndex: true,
    applied,
  };
}

/** Peer frames must carry the largest append and snapshot chunk. */
export const PEER_MAX_FRAME_BYTES = 2 * MAX_ENTRY_BYTES;

/** An election timeout at its longest, in ms. */
export function electionTimeoutMs(s: ReplicationSettings): number {
  return 2 * s.electionTick * s.tickMs;
}
