// The consensus core's contract, shaped like etcd's raft: the core is a pure
// state machine; the application persists, sends and applies what a Ready
// hands it, then calls advance(). Nothing here performs I/O.
//
// This file is shared by the core (src/raft), the simulator (src/sim) and,
// later, the coordinator. Change it additively.

export type NodeId = string;
/** Raft group id: every message and record carries one (multi-Raft later). */
export type GroupId = number;

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export type EntryType = 'normal' | 'conf-change';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to the core: an encoded proposal, an encoded ConfChange, or empty (leader no-op). */
  data: Uint8Array;
}

/** What must be durable before messages that depend on it are sent. */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export type ConfChangeType = 'add-learner' | 'add-voter' | 'remove';

/** Carried (encoded) in the data of a 'conf-change' entry. One change in flight at a time. */
export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** Opaque to the core, e.g. the node's network address. */
  context: Uint8Array;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state-machine image at metadata.index. */
  data: Uint8Array;
}

/**
 * A snapshot as the log holds it. `data` is null while the application keeps
 * the image (compact(index, null), or a restart without it): a leader asks
 * for it (Ready.snapshotWanted) only when a follower needs it.
 */
export interface LogSnapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array | null;
}

/** One piece of a snapshot sent to a follower that is too far behind. */
export interface SnapshotChunk {
  metadata: SnapshotMetadata;
  /** Byte offset of `data` within the whole snapshot. */
  offset: number;
  /** Size of the whole snapshot in bytes. */
  total: number;
  data: Uint8Array;
}

/**
 * Leader: bytes of the log's snapshot data that the application holds
 * (RawNode.offerSnapshot), wanted to send to a follower: answer with
 * RawNode.provideSnapshotChunk, or snapshotUnavailable if they can no longer
 * be read. `length` ≥ 1 and offset + length ≤ the snapshot's size.
 */
export interface SnapshotChunkWanted {
  index: number;
  offset: number;
  length: number;
}

/**
 * Follower: one step of handling a snapshot that arrives from the leader
 * (Ready.incomingSnapshot). The core holds none of its bytes: it hands out
 * each in-order piece for the application to stage, and tells it when what
 * was staged is to be dropped.
 */
export type IncomingSnapshotStep =
  /**
   * Stage these bytes, durably, before sending the Ready's messages: they
   * acknowledge them to the leader. A piece at offset 0 starts a new
   * snapshot (whatever was staged before is dropped); the others follow
   * what was staged, without gap or overlap.
   */
  | { type: 'piece'; chunk: SnapshotChunk }
  /** Drop what was staged: that transfer was abandoned or is not needed. */
  | { type: 'drop' };

export type MessageType =
  | 'append' // leader → follower: entries after (index, logTerm), and commit
  | 'append-response' // index = last matching index, or reject with rejectHint/logTerm
  | 'vote'
  | 'vote-response'
  | 'pre-vote'
  | 'pre-vote-response'
  | 'heartbeat'
  | 'heartbeat-response'
  | 'snapshot' // one chunk
  | 'snapshot-response' // chunk acknowledged (index = offset acked) or rejected
  | 'timeout-now' // leadership transfer: campaign at once
  | 'read-index' // follower → leader: confirm leadership for context
  | 'read-index-response'; // index = read index for context

export interface Message {
  type: MessageType;
  group: GroupId;
  from: NodeId;
  to: NodeId;
  term: number;
  /** append: term of entry `index`; vote: last log term; reject: hint term. */
  logTerm: number;
  /** append: previous index; vote: last index; responses: see MessageType. */
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  /** Fast backtracking: where the follower's log may match. */
  rejectHint: number;
  snapshot: SnapshotChunk | null;
  /** read-index context, or the campaign reason for a transfer. */
  context: Uint8Array | null;
}

export interface ReadState {
  /** Serve the read once applied index ≥ index. */
  index: number;
  context: Uint8Array;
}

export interface SoftState {
  leader: NodeId | null;
  role: Role;
}

/**
 * One batch of work for the application, in this order: stage
 * `incomingSnapshot`, persist `snapshot`, `entries` and `hardState` (durably
 * when `mustSync`); send `messages`; apply `snapshot` then
 * `committedEntries`; serve `readStates`; then call advance().
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  entries: Entry[];
  /** Follower: pieces of a snapshot from the leader to stage, or a staged one to drop, in order (first). */
  incomingSnapshot: IncomingSnapshotStep[];
  /**
   * Follower: install the snapshot staged from incomingSnapshot (this
   * Ready's pieces and earlier ones), whole, as the snapshot with this
   * metadata: it replaces the state machine and the log.
   */
  snapshot: SnapshotMetadata | null;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  mustSync: boolean;
  /**
   * A follower needs the snapshot at this index and the log holds no data
   * for it: load it and hand it to RawNode.provideSnapshot (it may be
   * asked again meanwhile, at each retry). Null when nothing is wanted.
   */
  snapshotWanted: number | null;
  /**
   * Chunks of a snapshot offered without its data (RawNode.offerSnapshot) to
   * read and hand to RawNode.provideSnapshotChunk, each once (a chunk still
   * needed is asked again at the follower's next retry).
   */
  snapshotChunksWanted: SnapshotChunkWanted[];
}

/** What the application restored from disk at start. */
export interface PersistedState {
  hardState: HardState;
  /** Its data may be null: the application provides it when a follower needs it. */
  snapshot: LogSnapshot | null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
  /** Membership when there is neither a snapshot nor a conf-change entry (bootstrap). */
  initialConf: ConfState;
}

export type ReadOnlyOption = 'safe' | 'lease';

export interface RaftConfig {
  id: NodeId;
  group: GroupId;
  /** Ticks without hearing from a leader before campaigning (randomized in [e, 2e)). */
  electionTick: number;
  heartbeatTick: number;
  /** Injected PRNG returning [0, 1); the core never calls Math.random. */
  random: () => number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Upper bound on an append message's entry bytes. */
  maxSizePerMsg: number;
  /** Bounded in-flight window per follower: messages and bytes. */
  maxInflightMsgs: number;
  maxInflightBytes: number;
  /** Proposals beyond this many uncommitted bytes are refused (→ -TRYAGAIN). */
  maxUncommittedEntriesSize: number;
  /** 'lease' requires checkQuorum. */
  readOnlyOption: ReadOnlyOption;
  snapshotChunkSize: number;
  /**
   * Upper bound on the payload bytes of one Ready's committedEntries (at
   * least one entry), so a node catching up applies in bounded batches.
   * Default: maxSizePerMsg.
   */
  maxCommittedSizePerReady?: number;
  /**
   * A leader tells its followers a new commit index with the next append or
   * heartbeat it sends them anyway, not at once in an append of its own
   * (raft-rs's skip_bcast_commit). Under load that spares each follower a
   * message each way per batch; idle, followers apply up to a heartbeat
   * later. The commit of a membership change (or of a new leader's no-op)
   * is still broadcast at once, and a follower whose read index is answered
   * gets the commit index with it.
   * Default false.
   */
  lazyCommitBroadcast?: boolean;
  /**
   * A ReadIndex round's heartbeats go only to the followers that completed
   * the previous round (a quorum with the leader), not to every follower;
   * the periodic heartbeat, which goes to all, completes a round they leave
   * unanswered. Fewer messages per read; a follower that fails costs the
   * reads of one round up to a heartbeat interval. Default false.
   */
  thriftyReadIndex?: boolean;
  /**
   * A node that just started votes for no one for its first election
   * timeout, as a node reading on the lease does, whatever its own
   * readOnlyOption: before it restarted it may have answered a heartbeat
   * round that a lease leader reads on. With it on every node, a lease
   * leader's lease holds whatever the other nodes' readOnlyOption, so the
   * option can be turned on one node at a time. Costs an election after
   * a restart up to one election timeout. Default false (implied by
   * readOnlyOption 'lease').
   */
  keepLeaseAfterStart?: boolean;
  /** Applied index the application restored (its state machine is at least here). */
  applied: number;
}

export type ProposeRefusal =
  | 'not-leader'
  | 'too-many-uncommitted'
  | 'transfer-in-progress'
  | 'conf-change-in-progress'
  | 'too-large';

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: ProposeRefusal; leader: NodeId | null };

export interface ProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  recentActive: boolean;
  inflight: number;
  /** In snapshot state: bytes of the snapshot the follower acknowledged; else 0. */
  snapshotAcked: number;
}

export interface RaftStatus {
  id: NodeId;
  group: GroupId;
  role: Role;
  leader: NodeId | null;
  term: number;
  vote: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  conf: ConfState;
  /** Only on the leader. */
  progress: Record<NodeId, ProgressStatus> | null;
  leadTransferee: NodeId | null;
  /** A leader's conf change (or first entry) at this index is in effect once `applied` reaches it. */
  pendingConfIndex: number;
}

/** Thrown when an invariant inside the core is violated; carries the state that broke it. */
export class RaftInvariantError extends Error {
  override name = 'RaftInvariantError';
  constructor(
    message: string,
    readonly state: unknown,
  ) {
    super(message);
  }
}
