// What the command handlers ask of a replicated node (cluster-node.ts
// implements it). Failures are CommandErrors whose message is the client's
// error reply: -TRYAGAIN / -CLUSTERDOWN / -ERR with a sentence.

import type { KvCommand, KvResult } from '../../kv/types.js';
import type { NodeId } from '../../raft/types.js';
import type { ReadOutcome } from './client-failure.js';
import type { EntryLimit } from './entry-rooms.js';
import type { LeaderChange } from './leader-history.js';

/** The connection a request comes from: its id, and whether it opted into stale reads (READONLY). */
export interface ReplicationClient {
  readonly id: number;
  staleReads?: boolean;
}

export interface MemberStatus {
  id: NodeId;
  role: 'voter' | 'learner';
  peer: string | null;
  client: string | null;
  match: number | null;
  lag: number | null;
  /** Bytes of the largest Raft entry its storage engine holds (its STORAGE_MAX_FRAME_SIZE less request overhead), once known. */
  entryRoom: number | null;
  /** On the leader: its appends wait to leave together, a quorum does not need it (lazy-followers.ts); else null. */
  lazy: boolean | null;
}

export interface ClusterStatus {
  id: NodeId;
  role: string;
  term: number;
  leader: NodeId | null;
  commit: number;
  applied: number;
  /** This node in its membership: a member, joining (the log that adds it is on its way), or removed. */
  membership: 'member' | 'joining' | 'removed';
  /** What is wrong and what to do, when it is not a member; else null. */
  notice: string | null;
  /** How this node's linearizable reads confirm leadership: a heartbeat round, or the leader lease (--read-lease). */
  reads?: 'safe' | 'lease';
  members: MemberStatus[];
}

/**
 * What readBarrier answers when a read has nothing to wait for (a READONLY
 * client; readFence on a standalone coordinator): one settled promise, not a
 * new one per read.
 */
export const READ_NOW: Promise<void> = Promise.resolve();

export interface Replication {
  /** Replicates a write in the client's session; resolves with its result once applied here. */
  write(client: ReplicationClient, command: KvCommand): Promise<KvResult>;
  /**
   * Resolves once this node's storage holds every write acknowledged before
   * the call (no-op for READONLY clients); `failure`: what its error says was
   * not done (a read, unless given).
   */
  readBarrier(client: ReplicationClient, failure?: ReadOutcome): Promise<void>;
  status(): ClusterStatus;
  /** The smallest storage engine entry room among the members, as known here (entry-rooms.ts); null: none known. */
  entryLimit(): EntryLimit | null;
  /** The cluster's name (--cluster-id), recorded in backups. */
  readonly clusterId: string;
  /** How long a write may wait for the cluster (ReplicationSettings.requestTimeoutMs). */
  readonly requestTimeoutMs: number;
  addMember(id: NodeId, peer: string): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  transferLeader(id: NodeId): Promise<void>;
  /** The last leader changes this node saw, newest first. */
  leaderChanges(): LeaderChange[];
  /** What member `id` reports about itself (see `figures` in cluster-node.ts), asked over the peer transport. */
  memberFigures(id: NodeId, timeoutMs: number): Promise<unknown>;
}
