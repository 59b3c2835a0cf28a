import { decodeConfChange, encodeConfChange } from './codec.js';
import { ConfHistory } from './conf-history.js';
import { validateConfChange } from './conf-change.js';
import { validateConfig } from './config.js';
import { campaign, handleVoteRequest, handleVoteResponse, inLease } from './election.js';
import { invariant } from './invariant.js';
import { handOver, transferLeader } from './leader-transfer.js';
import { LeaderLease } from './leader-lease.js';
import { RaftLog } from './log.js';
import { makeMessage, type MessageFields } from './message.js';
import { handleReadIndex, hedgeReadRound } from './read-index.js';
import { ReadOnly } from './read-only.js';
import {
  bcastAppend,
  bcastHeartbeat,
  handleAppend,
  handleAppendResponse,
  handleHeartbeat,
  handleHeartbeatResponse,
  maybeCommit,
  sendAppend,
} from './replication.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import {
  handleSnapshotChunk,
  handleSnapshotResponse,
  nextChunkOffset,
  sendChunk,
} from './snapshot-transfer.js';
import { ProgressTracker } from './tracker.js';
import type {
  ConfChange,
  Entry,
  EntryType,
  Message,
  NodeId,
  PersistedState,
  ProposeResult,
  RaftConfig,
  ReadState,
  Role,
  SnapshotChunkWanted,
  SnapshotMetadata,
} from './types.js';

/**
 * The Raft state machine (etcd's `raft` struct): roles, terms, votes, the
 * log, and the dispatch of every input. The protocol's pieces live beside
 * it: election.ts, replication.ts, snapshot-transfer.ts, read-index.ts.
 */
export class Raft {
  readonly id: NodeId;
  readonly group: number;
  readonly cfg: RaftConfig;
  term: number;
  vote: NodeId | null;
  role: Role = 'follower';
  lead: NodeId | null = null;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly readOnly = new ReadOnly();
  readonly snapshotReceiver = new SnapshotReceiver();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks since this node started: the clock of the read lease. */
  ticks = 0;
  readonly lease: LeaderLease;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId | null = null;
  /** A conf change at or below this index is not applied yet: no new one may be proposed. */
  pendingConfIndex = 0;
  /** Payload bytes this leader appended and has not yet handed out as committed. */
  uncommittedSize = 0;
  /** Proposals appended since the last Ready: broadcast once, as one batch. */
  pendingBroadcast = false;
  /**
   * Leader: the highest index an append of this term carried in a Ready
   * (handOver). Appends made since the last Ready wait in `msgs`: they are
   * not sent yet, and a leader whose storage failed never sends them.
   */
  sentIndex = 0;
  /** A follower needs the log's snapshot, whose data the application holds (Ready.snapshotWanted). */
  snapshotWanted: number | null = null;
  /** The highest commit index sendCommit was asked to tell (each is flushed once). */
  private commitFlushed = 0;
  /**
   * The log's snapshot whose data the application holds, and its size
   * (offerSnapshot): chunks are asked of it (Ready.snapshotChunksWanted).
   */
  snapshotOffer: { index: number; total: number } | null = null;
  snapshotChunksWanted: SnapshotChunkWanted[] = [];
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Read requests waiting for this leader's first commit in its term. */
  pendingReadIndexMessages: Message[] = [];
  /** The followers that completed the last ReadIndex round (thriftyReadIndex). */
  readPeers: NodeId[] = [];
  private readonly confHistory: ConfHistory;

  constructor(cfg: RaftConfig, persisted: PersistedState) {
    validateConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    this.group = cfg.group;
    this.log = new RaftLog(persisted, cfg.applied);
    this.term = persisted.hardState.term;
    this.vote = persisted.hardState.vote;
    this.tracker = new ProgressTracker(cfg.maxInflightMsgs, cfg.maxInflightBytes);
    this.lease = new LeaderLease(cfg.electionTick);
    const snap = persisted.snapshot;
    this.confHistory = new ConfHistory(
      snap?.metadata.conf ?? persisted.initialConf,
      snap?.metadata.index ?? 0,
    );
    this.tracker.setConf(this.confHistory.initial, this.log.lastIndex() + 1);
    // Membership changes take effect when applied: replay those already applied.
    for (const e of persisted.entries) {
      if (e.index > cfg.applied) break;
      if (e.type === 'conf-change') this.applyConfChange(e);
    }
    this.becomeFollower(this.term, null);
  }

  send(fields: MessageFields): void {
    this.msgs.push(makeMessage(fields, this.id, this.group, fields.term ?? this.term));
  }

  /** Voters campaign; learners and removed nodes never do. */
  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  setVote(id: NodeId): void {
    invariant(this.vote === null || this.vote === id, 'vote changed within a term', () => ({
      id: this.id,
      term: this.term,
      vote: this.vote,
      newVote: id,
    }));
    this.vote = id;
  }

  private reset(term: number): void {
    if (term !== this.term) {
      invariant(term > this.term, 'term decreased', () => ({
        id: this.id,
        term: this.term,
        newTerm: term,
      }));
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.leadTransferee = null;
    this.tracker.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.recentActive = id === this.id;
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.sentIndex = 0;
    this.pendingBroadcast = false;
    this.readOnly.reset();
    this.lease.reset();
    this.pendingReadIndexMessages = [];
    this.readPeers = [];
    // Only a leader sends snapshots: what it asked for is not needed any more.
    this.snapshotChunksWanted = [];
    this.dropIncomingSnapshot();
  }

  /**
   * Abandons the snapshot being received (at every change of term or role:
   * a new leader starts its own transfer from 0; or one no longer needed).
   */
  dropIncomingSnapshot(): void {
    if (this.snapshotReceiver.drop()) this.withdrawSnapshotAnswers();
  }

  /**
   * A transfer was dropped: its answers not yet handed out go too, since
   * they acknowledge bytes the application drops with it in the next Ready.
   */
  withdrawSnapshotAnswers(): void {
    this.msgs = this.msgs.filter((m) => m.type !== 'snapshot-response' || m.reject);
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'leader became pre-candidate', () => ({ id: this.id }));
    // Neither term nor vote changes: a pre-election is only a question.
    this.tracker.resetVotes();
    this.lead = null;
    this.role = 'pre-candidate';
  }

  becomeCandidate(): void {
    invariant(this.role !== 'leader', 'leader became candidate', () => ({ id: this.id }));
    this.reset(this.term + 1);
    this.setVote(this.id);
    this.role = 'candidate';
  }

  becomeLeader(): void {
    invariant(this.role === 'candidate', 'became leader without an election', () => ({
      id: this.id,
      role: this.role,
    }));
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // The no-op commits the previous terms' entries (§5.4.2) and starts reads.
    this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
    // No conf change until the no-op is applied: the single-server-change
    // fix (a new leader commits an entry of its own term first).
    this.pendingConfIndex = this.log.lastIndex();
    this.pendingBroadcast = false;
    bcastAppend(this);
  }

  /** Appends entries at the end of the leader's log. */
  private appendEntries(items: { type: EntryType; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    const entries: Entry[] = items.map((it) => ({ term: this.term, index: ++index, ...it }));
    this.log.append(entries);
    this.tracker.progress.get(this.id)?.maybeUpdate(index);
    if (maybeCommit(this)) this.releasePendingReads();
    this.pendingBroadcast = true;
    return index;
  }

  /** Leader: an append to `to` now (entries it lacks, or none), carrying the commit index. */
  sendAppendTo(to: NodeId): void {
    if (this.role === 'leader') sendAppend(this, to);
  }

  /**
   * Lazy commit broadcast: whether a follower has not been told the commit
   * index (no append or heartbeat carried it yet), and sendCommit was not
   * asked for it already: a follower that is down is not flushed to again
   * until the commit moves.
   */
  commitUnsent(): boolean {
    if (this.role !== 'leader' || this.log.committed <= this.commitFlushed) return false;
    for (const [id, pr] of this.tracker.progress) {
      if (id !== this.id && pr.commitSent < this.log.committed) return true;
    }
    return false;
  }

  /**
   * Lazy commit broadcast: tells every follower not yet told a commit index
   * of at least `index` (an append; with entries if it lacks some and may be
   * sent them). The application calls it when no append carried a commit
   * for a while (the writes stopped), so idle followers apply it without
   * waiting for the next heartbeat.
   */
  sendCommit(index: number): void {
    if (this.role !== 'leader') return;
    this.commitFlushed = Math.max(this.commitFlushed, index);
    for (const [id, pr] of this.tracker.progress) {
      if (id !== this.id && pr.commitSent < Math.min(index, this.log.committed)) {
        sendAppend(this, id);
      }
    }
  }

  /** Sends what proposals appended since the last call, in one batch per follower. */
  flushProposals(): void {
    if (!this.pendingBroadcast) return;
    this.pendingBroadcast = false;
    // A follower whose answer arrived meanwhile may have the new entries already.
    if (this.role === 'leader') bcastAppend(this, false);
  }

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup();
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.tracker.quorumActive(this.id)) {
          // Cannot reach a majority: step down so clients go elsewhere.
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeatWith(this.readOnly.lastPendingContext());
      this.repeatTimeoutNow();
    }
  }

  /**
   * The target of a transfer ignores timeout-now while it cannot campaign: a
   * new voter whose promotion is committed but not yet applied there, or a
   * message lost. Said again with every heartbeat until the transfer ends
   * (etcd sends it once and waits out the election timeout).
   */
  private repeatTimeoutNow(): void {
    const to = this.leadTransferee;
    if (to !== null && this.tracker.progress.get(to)?.match === this.log.lastIndex()) {
      this.send({ type: 'timeout-now', to });
    }
  }

  /**
   * Leader: the oldest pending ReadIndex request whose heartbeats went to
   * some followers only (thriftyReadIndex), for the application to hedge
   * after a while (hedgeReadRound); null when there is none.
   */
  readRoundToHedge(): number | null {
    return this.readOnly.oldestPartlyAsked();
  }

  /** See read-index.ts. */
  hedgeReadRound(seq: number): void {
    hedgeReadRound(this, seq);
  }

  /** Heartbeats to `to` (default: every follower). */
  bcastHeartbeatWith(context: Uint8Array | null, to: readonly NodeId[] | null = null): void {
    bcastHeartbeat(this, context, to);
  }

  /** Starts an election now, unless leader, not a voter, or a committed conf change is unapplied. */
  hup(): void {
    if (this.role === 'leader' || !this.promotable() || this.hasUnappliedConfChanges()) return;
    campaign(this, this.cfg.preVote ? 'pre-election' : 'election');
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.log.applied, this.log.firstIndex() - 1) + 1;
    if (lo > this.log.committed) return false;
    return this.log.slice(lo, this.log.committed).some((e) => e.type === 'conf-change');
  }

  step(m: Message): void {
    if (m.group !== this.group) {
      throw new Error(`raft group ${this.group} got a message for group ${m.group}`);
    }
    if (m.to !== this.id) throw new Error(`raft node ${this.id} got a message for ${m.to}`);
    if (m.term > this.term) {
      if ((m.type === 'vote' || m.type === 'pre-vote') && inLease(this, m)) return;
      if (m.type === 'pre-vote' || (m.type === 'pre-vote-response' && !m.reject)) {
        // A pre-vote never changes terms; a granted answer carries our future term.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (
        (this.cfg.checkQuorum || this.cfg.preVote) &&
        (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot')
      ) {
        // A deposed leader cut off from the rest learns our term and steps down.
        this.send({ type: 'append-response', to: m.from });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-response', to: m.from, reject: true });
      }
      return;
    }
    if (m.type === 'vote' || m.type === 'pre-vote') {
      handleVoteRequest(this, m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'pre-candidate':
      case 'candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'append-response':
        handleAppendResponse(this, m);
        break;
      case 'heartbeat-response':
        handleHeartbeatResponse(this, m);
        break;
      case 'snapshot-response':
        handleSnapshotResponse(this, m);
        break;
      case 'read-index':
        if (this.tracker.isMember(m.from)) handleReadIndex(this, m);
        break;
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        invariant(false, 'two leaders in one term', () => ({
          id: this.id,
          term: this.term,
          other: m.from,
        }));
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Someone won this term.
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        break;
      case 'vote-response':
      case 'pre-vote-response':
        handleVoteResponse(this, m);
        break;
      default:
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.heardFromLeader(m.from);
        handleAppend(this, m);
        break;
      case 'heartbeat':
        this.heardFromLeader(m.from);
        handleHeartbeat(this, m);
        break;
      case 'snapshot':
        this.heardFromLeader(m.from);
        handleSnapshotChunk(this, m);
        break;
      case 'timeout-now':
        // The leader hands over: campaign at once, skipping pre-vote and leases.
        if (this.promotable()) campaign(this, 'transfer');
        break;
      case 'read-index':
        if (m.from === this.id && this.lead !== null) {
          this.send({ type: 'read-index', to: this.lead, context: m.context });
        }
        break;
      case 'read-index-response':
        this.readStates.push({ index: m.index, context: m.context ?? new Uint8Array(0) });
        break;
      default:
        break;
    }
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.lead = from;
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal(data);
    if (refused !== null) return refused;
    const index = this.appendEntries([{ type: 'normal', data }]);
    return { ok: true, index, term: this.term };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', leader: this.lead };
    // Only the leader's membership is current enough to judge the change.
    validateConfChange(this.tracker, cc);
    if (this.pendingConfIndex > this.log.applied) {
      return { ok: false, reason: 'conf-change-in-progress', leader: this.lead };
    }
    const data = encodeConfChange(cc);
    const refused = this.refuseProposal(data);
    if (refused !== null) return refused;
    const index = this.appendEntries([{ type: 'conf-change', data }]);
    this.pendingConfIndex = index;
    return { ok: true, index, term: this.term };
  }

  private refuseProposal(data: Uint8Array): ProposeResult | null {
    if (this.role !== 'leader') return { ok: false, reason: 'not-leader', leader: this.lead };
    if (this.leadTransferee !== null) {
      return { ok: false, reason: 'transfer-in-progress', leader: this.lead };
    }
    if (data.length > this.cfg.maxSizePerMsg) {
      return { ok: false, reason: 'too-large', leader: this.lead };
    }
    // One entry always fits when nothing is outstanding, so progress never stalls.
    if (
      this.uncommittedSize > 0 &&
      this.uncommittedSize + data.length > this.cfg.maxUncommittedEntriesSize
    ) {
      return { ok: false, reason: 'too-many-uncommitted', leader: this.lead };
    }
    this.uncommittedSize += data.length;
    return null;
  }

  /** Applies a committed conf-change entry (called when the application applied it). */
  applyConfChange(e: Entry): void {
    if (this.confHistory.covers(e.index)) return; // part of a newer snapshot's membership
    const cc = decodeConfChange(e.data);
    this.tracker.applyChange(cc, this.log.lastIndex() + 1);
    this.confHistory.record(e.index, this.tracker.conf());
    if (this.role !== 'leader') return;
    if (!this.tracker.isVoter(this.id)) {
      // A leader removed (or demoted) by a committed change steps down.
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.leadTransferee !== null && !this.tracker.isVoter(this.leadTransferee)) {
      this.leadTransferee = null;
    }
    // The quorum changed: maybe more is committed now; a new member needs the log.
    if (maybeCommit(this)) this.releasePendingReads();
    bcastAppend(this);
  }

  /**
   * The application's snapshot at an applied index: compact the log before
   * it. `data` null: the application keeps the image and provides it when
   * a follower needs it (provideSnapshot).
   */
  compact(index: number, data: Uint8Array | null): void {
    if (!Number.isSafeInteger(index) || index > this.log.applied) {
      throw new Error(
        `compact at ${index} refused: only applied entries (≤ ${this.log.applied}) can be compacted`,
      );
    }
    if (index < this.log.firstIndex()) return;
    const conf = this.confHistory.at(index);
    const term = this.log.term(index) as number;
    this.log.compact({ metadata: { index, term, conf }, data });
    this.confHistory.rebase(index, conf);
  }

  /**
   * The data of the log's snapshot at `index`, which a Ready asked for;
   * followers waiting for it are sent it now. Returns false (and ignores it)
   * when the log moved to another snapshot meanwhile or already holds it.
   */
  provideSnapshot(index: number, data: Uint8Array): boolean {
    const snap = this.log.snapshot;
    if (snap === null || snap.metadata.index !== index || snap.data !== null) return false;
    this.log.snapshot = { metadata: snap.metadata, data };
    this.snapshotAvailable(index);
    return true;
  }

  /**
   * The application holds the data of the log's snapshot at `index`, `total`
   * bytes, and reads each chunk when asked (Ready.snapshotChunksWanted). False
   * (ignored) when the log moved to another snapshot or holds the data.
   */
  offerSnapshot(index: number, total: number): boolean {
    if (!Number.isSafeInteger(total) || total < 1) {
      throw new Error(`snapshot ${index} offered with ${total} bytes: a size of at least 1 byte`);
    }
    const snap = this.log.snapshot;
    if (snap === null || snap.metadata.index !== index || snap.data !== null) return false;
    this.snapshotOffer = { index, total };
    this.snapshotAvailable(index);
    return true;
  }

  /** The followers waiting for the snapshot at `index` (whose next entry is compacted away) are sent it. */
  private snapshotAvailable(index: number): void {
    if (this.snapshotWanted === index) this.snapshotWanted = null;
    if (this.role !== 'leader') return;
    for (const [id, pr] of this.tracker.progress) {
      if (id !== this.id && this.log.term(pr.next - 1) === undefined) sendAppend(this, id);
    }
  }

  /** The log's snapshot can be sent: its data, or its size with the chunks asked of the application. */
  snapshotSource(): { metadata: SnapshotMetadata; total: number; data: Uint8Array | null } | null {
    const snap = this.log.snapshot;
    if (snap === null) return null;
    if (snap.data !== null)
      return { metadata: snap.metadata, total: snap.data.length, data: snap.data };
    const offer = this.snapshotOffer;
    if (offer === null || offer.index !== snap.metadata.index) return null;
    return { metadata: snap.metadata, total: offer.total, data: null };
  }

  /** Asks the application for a chunk of an offered snapshot (once per Ready). */
  askSnapshotChunk(want: SnapshotChunkWanted): void {
    for (const w of this.snapshotChunksWanted) {
      if (w.index === want.index && w.offset === want.offset) return;
    }
    this.snapshotChunksWanted.push(want);
  }

  /**
   * A chunk the application read (Ready.snapshotChunksWanted): sent to each
   * follower that needs it next. False (ignored) when none does any more
   * (acknowledged meanwhile, transfer over, no longer leader).
   */
  provideSnapshotChunk(index: number, offset: number, data: Uint8Array): boolean {
    if (this.role !== 'leader') return false;
    let used = false;
    for (const [id, pr] of this.tracker.progress) {
      const send = pr.snapshotSend;
      if (send === null || send.data !== null || !send.asked) continue;
      if (send.metadata.index !== index || nextChunkOffset(this, send) !== offset) continue;
      const most = Math.min(this.cfg.snapshotChunkSize, send.total - offset);
      if (data.length < 1 || data.length > most) {
        throw new Error(
          `snapshot ${index}: a chunk of ${data.length} bytes at ${offset} (1 to ${most} were asked for)`,
        );
      }
      sendChunk(this, id, send, offset, data);
      used = true;
    }
    return used;
  }

  /**
   * The application can no longer read the snapshot at `index` (it was
   * replaced): every transfer of it starts over, with the log's snapshot
   * as asked again at the follower's next heartbeat answer.
   */
  snapshotUnavailable(index: number): void {
    if (this.snapshotOffer?.index === index) this.snapshotOffer = null;
    this.snapshotChunksWanted = this.snapshotChunksWanted.filter((w) => w.index !== index);
    for (const pr of this.tracker.progress.values()) {
      const send = pr.snapshotSend;
      if (send !== null && send.data === null && send.metadata.index === index) pr.abortSnapshot();
    }
  }

  /**
   * Lets go of the snapshot's data (the application still holds it).
   * Refused (false) while a snapshot, this one or an older one, is being
   * sent to a follower: that transfer holds its image.
   */
  dropSnapshotData(): boolean {
    for (const pr of this.tracker.progress.values()) if (pr.state === 'snapshot') return false;
    const snap = this.log.snapshot;
    if (snap === null || snap.data === null) return true;
    this.log.snapshot = { metadata: snap.metadata, data: null };
    return true;
  }

  /**
   * Bytes of snapshot data held: the log's, and those of older snapshots
   * still being sent (a transfer goes on with the image it started with when
   * the log compacts meanwhile, so a slow follower is never restarted by every
   * compaction). Each image counts once however many followers it goes to.
   */
  heldSnapshotBytes(): number {
    const held: Uint8Array[] = [];
    const data = this.log.snapshot?.data;
    if (data !== undefined && data !== null) held.push(data);
    for (const pr of this.tracker.progress.values()) {
      const sending = pr.snapshotSend?.data;
      if (sending !== undefined && sending !== null && !held.includes(sending)) held.push(sending);
    }
    let bytes = 0;
    for (const d of held) bytes += d.length;
    return bytes;
  }

  /**
   * Follower: installs a complete snapshot from the leader, whose data the
   * application staged (the log keeps none of it); false when it is not needed.
   */
  restore(metadata: SnapshotMetadata): boolean {
    // A snapshot taken before this node was added does not list it: install
    // it anyway, the conf-change entries after it add this node.
    const { index, term, conf } = metadata;
    if (index <= this.log.committed) return false;
    if (this.role !== 'follower') return false;
    if (this.log.matchTerm(index, term)) {
      // We hold that entry already: just learn it is committed.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(metadata);
    this.tracker.setConf(conf, this.log.lastIndex() + 1);
    this.confHistory.rebase(index, conf);
    return true;
  }

  readIndex(context: Uint8Array): void {
    const m = makeMessage(
      { type: 'read-index', to: this.id, context },
      this.id,
      this.group,
      this.term,
    );
    if (this.role === 'leader') handleReadIndex(this, m);
    else if (this.role === 'follower') this.stepFollower(m);
  }

  releasePendingReads(): void {
    if (
      this.pendingReadIndexMessages.length === 0 ||
      this.log.term(this.log.committed) !== this.term
    ) {
      return;
    }
    const waiting = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of waiting) handleReadIndex(this, m);
  }

  transferLeader(to: NodeId): void {
    transferLeader(this, to);
  }

  handOver(): Message | null {
    return handOver(this);
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.tracker.progress.get(id);
    if (this.role === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }
}
