// Drives one Raft group's RawNode against the real world: the storage engine
// (log, hard state, snapshots, state machine) and the peer transport. The
// Ready loop runs one Ready at a time, in Raft's order:
//   1. stage the pieces of a snapshot arriving from the leader in the engine
//      (snapshot-staging.ts); once complete, install it (image + snapshot
//      head, one transaction)
//   2. persist entries + hard state durably, in requests that fit the
//      engine's frame (batch-parts.ts) (a leader sends its appends first:
//      replicating while it writes its own log is allowed, because nothing is
//      acknowledged before the leader's own write is durable too); a commit
//      index that covers a conf change is written before the change takes effect
//   3. send messages
//   4. hand committed entries to the state machine (storage.apply, in order;
//      not awaited, so the next Ready's persist overlaps this apply)
//   5. note read states, advance(), take conf changes into effect, start a
//      snapshot (it completes in the background, see startCompaction).
// Raft holds no snapshot image, and a compaction or an install stores none:
// the engine's state machine is the image. Only when a follower fell behind
// the log does the engine store a snapshot with its image (startCompaction),
// read back a chunk at a time as it is sent (snapshot-sender.ts), after a
// restart too.
// Proposals and reads wait on promises the applies resolve (a write whose
// result is decided once committed is answered then: answerAtCommit). A storage
// failure stops the driver (see cluster-node.ts: it reloads from disk).

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeProposal, encodeProposal } from '../../kv/codec.js';
import { resultCarriesValue, resultWithoutState } from '../../kv/known-result.js';
import { SessionForecast } from '../../kv/session-forecast.js';
import type { KvResult, Proposal } from '../../kv/types.js';
import { decodeConfChange } from '../../raft/codec.js';
import { RawNode } from '../../raft/raw-node.js';
import type {
  ConfChange,
  ConfState,
  HardState,
  Message,
  NodeId,
  RaftStatus,
  Ready,
  Role,
  SnapshotChunkWanted,
  SnapshotMetadata,
} from '../../raft/types.js';
import type { GroupId } from '../../storage/api.js';
import type { ReplicationMetrics } from '../metrics/replication-metrics.js';
import type { AddressBook } from './address-book.js';
import { appendInParts, applyInParts } from './batch-parts.js';
import { CatchUpWatch } from './catch-up-watch.js';
import { DeadlineTimer } from './deadline-timer.js';
import { tooLargeMessage, type EntryLimit } from './entry-rooms.js';
import { LargestEntry } from './largest-entry.js';
import { LazyFollowers } from './lazy-followers.js';
import { PendingProposals } from './pending-proposals.js';
import type { LoadedRaftState, ReplicaStorage } from './raft-disk.js';
import {
  EntryTooLargeError,
  NotAppliedError,
  NotLeaderError,
  OutcomeUnknownError,
  ProposalRefusedError,
  ReplicaUnavailableError,
} from './replication-errors.js';
import { electionTimeoutMs, raftConfig, type ReplicationSettings } from './replication-settings.js';
import { encodeSnapshotData, encodeStoredSnapshot } from './snapshot-format.js';
import { SnapshotSender } from './snapshot-sender.js';
import { SnapshotStaging } from './snapshot-staging.js';
import { TickClock } from './tick-clock.js';

export interface DriverHooks {
  send(messages: Message[]): void;
  /** A conf-change entry was applied and is in effect. */
  confApplied(cc: ConfChange, conf: ConfState): void;
  /** A snapshot from the leader was installed (its address book, its membership). */
  snapshotInstalled(book: AddressBook, conf: ConfState): void;
  /** Role or leader changed. */
  leaderChanged(role: Role, leader: NodeId | null): void;
  /** The current address book, put into every snapshot. */
  book(): AddressBook;
  /** Where proposals, snapshots and storage latencies are counted. */
  readonly metrics: ReplicationMetrics;
  /** A storage operation failed: the driver has stopped. */
  failed(err: unknown): void;
  /** Tells the leader this follower is installing its snapshot (it answers nothing meanwhile). */
  installing(leader: NodeId): void;
  /** The member whose engine holds the smallest entries (entry-rooms.ts); null: none known. */
  entryLimit(): EntryLimit | null;
  /** Leader: these followers' appends may wait settings.lazyFollowerMs to leave together; the others' not. */
  lazyFollowers(lazy: ReadonlySet<NodeId>): void;
}

interface ReadWaiter {
  resolve(): void;
  reject(e: Error): void;
  /** Date.now() after which it fails as unknown. */
  deadline: number;
  timeoutMs: number;
  done: boolean;
}

/**
 * Reads gathered while no ReadIndex round is in flight share the next one:
 * one round at a time, so under load a round serves every read that arrived
 * during the previous one (each round is a heartbeat broadcast, and every
 * answer a Ready on all three nodes).
 */
interface ReadBatch {
  ctx: string;
  waiters: ReadWaiter[];
  /** The read index, once the leader confirmed it; -1 before. */
  index: number;
  askedAt: number;
  /** One timer for its waiters' deadlines. */
  timer: DeadlineTimer;
}

/**
 * Followers learn a commit with the next append (lazy commit broadcast,
 * docs/raft.md); when none has carried it after this long (the writes
 * stopped), the leader sends it on its own, so an idle follower applies the
 * last writes in milliseconds, not at the next heartbeat (100 ms).
 */
const COMMIT_FLUSH_MS = 2;

/**
 * A read round asks only the follower that answered the last one first
 * (thriftyReadIndex, docs/raft.md); when it has waited this long, a slow
 * follower (a GC pause, a busy disk) is assumed and the round is asked of
 * the other followers too (hedged), instead of waiting for the next
 * heartbeat (100 ms). Well above a normal round at 64 get clients (see
 * docs/performance-log.md, lever 24), so a hedge seldom fires needlessly.
 */
const READ_HEDGE_MS = 10;

/**
 * A follower that made no progress for this many election timeouts (10 s)
 * no longer holds compactions (catch-up-watch.ts): its transfer's chunks
 * and its appends are answered within one when it is well, and one
 * installing a snapshot says so every check-quorum round.
 */
const STALL_ELECTION_TIMEOUTS = 5;

/**
 * A leader that lost its storage and has no caught-up voter yet waits this
 * many ticks (half the shortest election timeout) for the answers to the
 * appends it sent; past them the others elect a leader when their timeout
 * fires.
 */
const HAND_OVER_WAIT_TICKS = 5;

const NOOP: Proposal = { command: { op: 'noop' } };
const NOOP_BYTES = encodeProposal(NOOP);
const NO_IMAGE = new Uint8Array(0);

/**
 * ReadIndex contexts are unique per process and never reused by a later
 * driver: a late answer to an earlier request (from before a reload or a
 * restart) must not release a newer read with an older index.
 */
const READ_CONTEXT_PREFIX = `${randomBytes(6).toString('hex')}:`;
let readContexts = 0;
function nextReadContext(): string {
  return READ_CONTEXT_PREFIX + String(++readContexts);
}

export class RaftDriver {
  private readonly raw: RawNode;
  private stopped = false;
  private pumping = false;
  private pumpScheduled = false;
  private applyChain: Promise<void> = Promise.resolve();
  /** Highest index handed to storage.apply (or installed). */
  private submitted: number;
  /** Highest index the state machine has durably applied. */
  private applied: number;
  private appliedTerm: number;
  private snapshotIndex: number;
  /** Bytes of the entries handed to the state machine since the last snapshot started. */
  private bytesSinceSnapshot = 0;
  /** Last index of the log known durable here (every append before the current one was awaited). */
  private durableIndex: number;
  /** Hard state whose only change is the commit index, written with the next append. */
  private deferredHardState: HardState | null = null;
  /** The commit flush due (see COMMIT_FLUSH_MS). */
  private commitFlush: NodeJS.Timeout | null = null;
  /** The read request the hedge timer is for (see READ_HEDGE_MS); null: none. */
  private hedgeSeq: number | null = null;
  /** One timer, re-armed (refresh) for each round: no allocation per round. */
  private hedgeTimer: NodeJS.Timeout | null = null;
  private readonly proposals = new PendingProposals();
  /** Which committed entries the state machine will apply afresh (not a retry, not expired). */
  private readonly forecast = new SessionForecast();
  private gathering: ReadBatch | null = null;
  private readonly asking = new Map<string, ReadBatch>();
  private waitingApply: ReadBatch[] = [];
  /** A snapshot being taken in the background, and one taken but not yet handed to Raft. */
  private compacting: Promise<void> | null = null;
  private compacted: { index: number; started: number; image: boolean } | null = null;
  /**
   * The engine's stored snapshot (the one at snapshotIndex) holds its image,
   * so a follower that needs one is sent it without taking another (after a
   * restart too: the engine says so at load).
   */
  private imageStored: boolean;
  /**
   * That image was stored for a follower and is not yet offered to Raft: it
   * is, before a compaction may replace it (under load one may be due at once).
   */
  private imageUnread = false;
  /** The stored snapshot's head and size being read for Raft (a follower needs it); never beside a compaction. */
  private loading: Promise<void> | null = null;
  /** The stored snapshot offered to Raft, read a chunk at a time as it is sent. */
  private readonly sender: SnapshotSender;
  /** A snapshot arriving from the leader, staged in the engine piece by piece. */
  private readonly staging: SnapshotStaging;
  /** Which followers are being caught up (a leader holds its compactions meanwhile). */
  private readonly catchUp: CatchUpWatch;
  private readonly lazy: LazyFollowers;
  /** With lease reads: the ticks real time says are due, delivered before each step (tick-clock.ts). */
  private readonly clock: TickClock | null;
  /** A due compaction is being held for a follower (logged once per hold). */
  private holding = false;
  /** The largest entry of the log since the snapshot: what a joining node may be sent. */
  private readonly largest = new LargestEntry();
  /** Date.now() until which a leader that lost its storage waits to hand over (storageLost); 0: not. */
  private handOverUntil = 0;
  role: Role = 'follower';
  leader: NodeId | null = null;

  constructor(
    readonly id: NodeId,
    private readonly group: GroupId,
    private readonly storage: ReplicaStorage,
    loaded: LoadedRaftState,
    private readonly settings: ReplicationSettings,
    private readonly hooks: DriverHooks,
    private readonly log: Logger,
  ) {
    this.raw = new RawNode(raftConfig(id, group, loaded.applied, settings), loaded.persisted);
    this.staging = new SnapshotStaging(storage, group);
    this.sender = new SnapshotSender(storage, group);
    this.lazy = new LazyFollowers(id);
    this.clock = settings.readLease
      ? new TickClock(settings.tickMs, settings.electionTick + 1, performance.now())
      : null;
    this.catchUp = new CatchUpWatch(
      id,
      settings.electionTick * settings.tickMs,
      STALL_ELECTION_TIMEOUTS * electionTimeoutMs(settings),
      settings.compactionHoldBytes,
    );
    this.submitted = loaded.applied;
    this.applied = loaded.applied;
    this.appliedTerm = loaded.appliedTerm;
    this.snapshotIndex = loaded.snapshotIndex;
    this.imageStored = loaded.snapshotImage;
    const entries = loaded.persisted.entries;
    this.durableIndex =
      entries[entries.length - 1]?.index ?? loaded.persisted.snapshot?.metadata.index ?? 0;
    for (const e of loaded.persisted.entries) {
      if (e.index <= loaded.applied) this.bytesSinceSnapshot += e.data.length;
    }
    this.largest.appended(entries);
    const conf = this.raw.status().conf;
    // A group of one needs no election timeout to find its leader.
    if (conf.voters.length === 1 && conf.voters[0] === id) this.raw.campaign();
    this.schedulePump();
  }

  status(): RaftStatus {
    return this.raw.status();
  }

  get appliedIndex(): number {
    return this.applied;
  }

  /** Bytes of the largest entry in the log since the last snapshot. */
  get largestEntryBytes(): number {
    return this.largest.bytes;
  }

  tick(): void {
    if (this.stopped) return;
    if (this.clock) this.catchUpTicks();
    else this.raw.tick();
    const status = this.role === 'leader' ? this.raw.status() : null;
    if (status?.progress) {
      const now = Date.now();
      this.catchUp.observe(status.progress, now);
      if (this.settings.lazyFollowerMs > 0) this.lazyChanged(this.lazy.observe(status, now));
    }
    this.reaskReads();
    this.schedulePump();
  }

  step(m: Message): void {
    if (m.group !== this.group) return;
    if (this.stopped) {
      this.stepHandingOver(m);
      return;
    }
    this.catchUpTicks();
    try {
      this.raw.step(m);
    } catch (err) {
      this.log.warn({ err, from: m.from, type: m.type }, 'raft refused a peer message');
      return;
    }
    if (m.type === 'read-index') this.lazyChanged(this.lazy.reading(m.from, Date.now()));
    this.schedulePump();
  }

  /** Leader: the followers whose appends wait to leave together (lazy-followers.ts). */
  get lazyFollowers(): ReadonlySet<NodeId> {
    return this.lazy.current;
  }

  private lazyChanged(lazy: ReadonlySet<NodeId> | null): void {
    if (lazy !== null) this.hooks.lazyFollowers(lazy);
  }

  /** Leader: `peer` says it is installing the snapshot it was sent (catch-up-watch.ts). */
  followerInstalling(peer: NodeId): void {
    if (this.role === 'leader') this.catchUp.followerInstalling(peer, Date.now());
  }

  reportUnreachable(peer: NodeId): void {
    if (this.stopped) return;
    this.raw.reportUnreachable(peer);
  }

  transferLeader(to: NodeId): void {
    if (this.stopped) return;
    this.raw.transferLeader(to);
    this.schedulePump();
  }

  /**
   * Proposes on this node (the leader); resolves with the result once applied
   * here, or once committed when that result is already decided (answerAtCommit).
   */
  propose(p: Proposal, timeoutMs: number): Promise<KvResult> {
    if (this.stopped) return Promise.reject(new ReplicaUnavailableError('raft state reloading'));
    const data = encodeProposal(p);
    // An entry is never split: one a member's engine cannot take in a request
    // would fail every write of it there, and that member could not catch up.
    const limit = this.hooks.entryLimit();
    if (limit !== null && data.length > limit.room.bytes) {
      return Promise.reject(new EntryTooLargeError(tooLargeMessage(data.length, limit)));
    }
    const r = this.raw.propose(data);
    if (!r.ok) {
      if (r.reason === 'not-leader') return Promise.reject(new NotLeaderError(r.leader));
      return Promise.reject(new ProposalRefusedError(r.reason));
    }
    this.hooks.metrics.proposals++;
    this.schedulePump();
    return this.proposals.add(r.index, r.term, p, timeoutMs);
  }

  /** Proposes a membership change; resolves once it is applied here. Throws if invalid. */
  proposeConfChange(cc: ConfChange, timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new ReplicaUnavailableError('raft state reloading'));
    let r;
    try {
      r = this.raw.proposeConfChange(cc);
    } catch (err) {
      return Promise.reject(err as Error); // invalid for the membership
    }
    if (!r.ok) {
      if (r.reason === 'not-leader') return Promise.reject(new NotLeaderError(r.leader));
      return Promise.reject(new ProposalRefusedError(r.reason));
    }
    this.hooks.metrics.proposals++;
    this.schedulePump();
    return this.proposals.add(r.index, r.term, null, timeoutMs).then(() => undefined);
  }

  /** Resolves once this node's state machine holds every write acknowledged before the call. */
  readBarrier(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new ReplicaUnavailableError('raft state reloading'));
    let batch = this.gathering;
    if (batch === null) {
      const waiters: ReadWaiter[] = [];
      const b: ReadBatch = {
        ctx: nextReadContext(),
        waiters,
        index: -1,
        askedAt: 0,
        timer: new DeadlineTimer((now) => expireReads(waiters, now)),
      };
      this.gathering = batch = b;
      // Let the rest of this event-loop turn join; behind a round in flight, wait for it.
      if (this.asking.size === 0) setImmediate(() => this.ask(b));
    }
    const b = batch;
    const deadline = Date.now() + timeoutMs;
    b.timer.arm(deadline);
    return new Promise((resolve, reject) => {
      b.waiters.push({ resolve, reject, deadline, timeoutMs, done: false });
    });
  }

  private ask(b: ReadBatch): void {
    if (this.gathering === b) this.gathering = null;
    if (this.stopped || b.askedAt !== 0) return;
    this.asking.set(b.ctx, b);
    b.askedAt = Date.now();
    this.catchUpTicks();
    this.raw.readIndex(Buffer.from(b.ctx));
    this.schedulePump();
  }

  /**
   * With lease reads, the ticks the timer missed: a lease is judged by the
   * ticks the core counted, which must be those that really passed. Called
   * at every way into the core that can answer on the lease: tick, step,
   * ask and advance (reaskReads and reaskAfterLeaderChange run right after
   * tick and advance).
   */
  private catchUpTicks(): void {
    if (this.clock === null) return;
    for (let n = this.clock.due(performance.now()); n > 0; n--) this.raw.tick();
  }

  /** A ReadIndex request or its answer may be lost: ask again after an election timeout. */
  private reaskReads(): void {
    const now = Date.now();
    const after = this.settings.electionTick * this.settings.tickMs;
    for (const [ctx, b] of this.asking) {
      if (b.waiters.every((w) => w.done)) {
        this.asking.delete(ctx);
      } else if (now - b.askedAt >= after) {
        b.askedAt = now;
        this.raw.readIndex(Buffer.from(ctx));
      }
    }
    this.askGatheredIfIdle();
  }

  /** The round in flight is answered (or abandoned): the reads gathered behind it go next. */
  private askGatheredIfIdle(): void {
    if (this.gathering !== null && this.asking.size === 0) this.ask(this.gathering);
  }

  /** A new leader never saw the rounds asked of the old one: ask them again now. */
  private reaskAfterLeaderChange(): void {
    const now = Date.now();
    for (const [ctx, b] of this.asking) {
      b.askedAt = now;
      this.raw.readIndex(Buffer.from(ctx));
    }
  }

  private serveReads(): void {
    if (this.waitingApply.length === 0) return;
    const later: ReadBatch[] = [];
    for (const b of this.waitingApply) {
      if (b.index <= this.applied) settleReads(b, null);
      else later.push(b);
    }
    this.waitingApply = later;
  }

  /** A storage operation failed: stops (handing leadership over) and tells the cluster node. */
  private fail(why: string, err: unknown): void {
    this.storageLost(why);
    this.hooks.failed(err);
  }

  /**
   * The storage engine failed or its connection was lost: stops, as stop()
   * does. A leader hands leadership to a caught-up voter at once (Raft's
   * handOver; docs/cluster.md, "Storage loss on the leader") instead of
   * leaving the group leaderless until the others' election timeout: its
   * state in memory is still valid although its disk is gone. When no voter
   * has acknowledged every entry it sent yet, it waits up to HAND_OVER_WAIT_TICKS
   * for the answers to the appends already sent (stepHandingOver).
   */
  storageLost(why: string): void {
    if (this.stopped) return;
    this.stop(why);
    const status = this.raw.status();
    if (status.role !== 'leader' || this.handOver()) return;
    const waitMs = HAND_OVER_WAIT_TICKS * this.settings.tickMs;
    this.handOverUntil = Date.now() + waitMs;
    const match: Record<NodeId, number> = {};
    for (const [id, pr] of Object.entries(status.progress ?? {})) match[id] = pr.match;
    this.log.info(
      { lastIndex: status.lastIndex, match, waitMs },
      'storage lost while leading: no voter has acknowledged every entry sent yet; waiting for their answers to hand over',
    );
  }

  /** Stopped, and waiting for a voter to catch up to hand leadership to (storageLost). */
  get handingOver(): boolean {
    return this.handOverUntil > Date.now();
  }

  /** Sends the timeout-now that hands leadership over, when a voter is caught up. */
  private handOver(): boolean {
    const m = this.raw.handOver();
    if (m === null) return false;
    this.handOverUntil = 0;
    this.hooks.send([m]);
    this.log.info(
      { to: m.to },
      'storage lost while leading: leadership handed to a caught-up voter',
    );
    return true;
  }

  /**
   * While handing over, only append answers are taken (the core updates
   * the follower's match index, in memory): nothing else of this stopped
   * node is persisted, sent or applied any more.
   */
  private stepHandingOver(m: Message): void {
    if (!this.handingOver || m.type !== 'append-response') return;
    try {
      this.raw.step(m);
    } catch {
      return;
    }
    this.handOver();
  }

  /** Stops for good: fails everything pending. The caller builds a new driver from disk. */
  stop(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.lazyChanged(this.lazy.reset());
    if (this.commitFlush !== null) clearTimeout(this.commitFlush);
    if (this.hedgeTimer !== null) clearTimeout(this.hedgeTimer);
    this.proposals.rejectThrough(new OutcomeUnknownError(why));
    this.failReads(why);
  }

  /**
   * Fails every read waiting here (ReplicaUnavailableError: the caller
   * retries it, and answers as this node now must). A node that learns of
   * its removal calls it: the leader that dropped it answers none of its
   * read indexes, so they would wait out the request timeout.
   */
  failReads(why: string): void {
    const err = new ReplicaUnavailableError(why);
    for (const b of [...this.asking.values(), ...this.waitingApply]) settleReads(b, err);
    if (this.gathering) settleReads(this.gathering, err);
    this.gathering = null;
    this.asking.clear();
    this.waitingApply = [];
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    // Let the rest of this event-loop turn add proposals: they leave as one batch.
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.takeCompaction();
      while (!this.stopped && this.raw.hasReady()) {
        await this.handle(this.raw.ready());
        this.takeCompaction();
      }
      this.scheduleCommitFlush();
      this.scheduleReadHedge();
    } catch (err) {
      if (!this.stopped) this.fail('the storage engine failed; reloading the raft state', err);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Leader: once COMMIT_FLUSH_MS have passed, tells the followers the commit
   * index of now unless an append or heartbeat has carried it meanwhile (under
   * load one nearly always has: nothing is sent). The core flushes each
   * commit index once, so a follower that is down costs no timer while
   * nothing is written.
   */
  private scheduleCommitFlush(): void {
    if (this.commitFlush !== null || this.stopped || !this.raw.commitUnsent()) return;
    const index = this.raw.committed();
    this.commitFlush = setTimeout(() => {
      this.commitFlush = null;
      if (this.stopped) return;
      this.raw.sendCommit(index);
      this.schedulePump();
    }, COMMIT_FLUSH_MS);
  }

  /**
   * Leader: hedges the oldest read round that asked only some followers
   * once it has waited READ_HEDGE_MS. When it is answered, the timer is
   * re-armed for the next such round; with none, it fires for nothing.
   */
  private scheduleReadHedge(): void {
    const seq = this.stopped ? null : this.raw.readRoundToHedge();
    if (seq === this.hedgeSeq) return;
    this.hedgeSeq = seq;
    if (seq === null) return;
    if (this.hedgeTimer === null) {
      this.hedgeTimer = setTimeout(() => this.hedgeDue(), READ_HEDGE_MS);
    } else {
      this.hedgeTimer.refresh();
    }
  }

  private hedgeDue(): void {
    const seq = this.hedgeSeq;
    this.hedgeSeq = null;
    if (this.stopped || seq === null) return;
    this.raw.hedgeReadRound(seq);
    this.schedulePump();
  }

  private async handle(rd: Ready): Promise<void> {
    const group = this.group;
    const leaderBefore = this.leader;
    if (rd.softState) {
      if (rd.softState.role !== this.role) this.lazyChanged(this.lazy.reset());
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      this.hooks.leaderChanged(this.role, this.leader);
    }
    let messages = rd.messages;
    if (this.role === 'leader' && messages.length > 0) {
      const early: Message[] = [];
      const later: Message[] = [];
      for (const m of messages) {
        (m.type === 'append' || m.type === 'heartbeat' ? early : later).push(m);
      }
      if (early.length > 0) this.hooks.send(early);
      messages = later;
    }
    // A follower's acknowledgments of snapshot chunks leave with this
    // Ready's messages: after its pieces are durably staged.
    for (const step of rd.incomingSnapshot) await this.staging.step(step);
    if (rd.snapshot) await this.install(rd.snapshot);
    if (rd.hardState) this.deferredHardState = rd.hardState;
    const firstNew = rd.entries[0]?.index;
    // The entries this append replaces are no longer the durable ones.
    if (firstNew !== undefined && firstNew <= this.durableIndex) this.durableIndex = firstNew - 1;
    // Committed entries already durable here are applied (and answered) before
    // this Ready's append, not after it: they need no write of this Ready, so
    // a put is answered one append (one fsync) sooner.
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1]?.index ?? 0;
    const commitsConfChange = this.hasNewConfChange(rd);
    let confChanges = lastCommitted <= this.durableIndex ? this.applyCommitted(rd) : null;
    if (rd.entries.length > 0 || ((rd.mustSync || commitsConfChange) && this.deferredHardState)) {
      const hs = this.deferredHardState;
      this.deferredHardState = null;
      const started = performance.now();
      await appendInParts(this.storage, group, rd.entries, hs);
      this.hooks.metrics.storageCall('append', performance.now() - started, rd.entries.length);
      const last = rd.entries[rd.entries.length - 1];
      if (last !== undefined) this.durableIndex = last.index;
      this.largest.appended(rd.entries);
    }
    if (this.stopped) return;
    if (messages.length > 0) this.hooks.send(messages);
    confChanges ??= this.applyCommitted(rd);
    for (const rs of rd.readStates) {
      const ctx = Buffer.from(rs.context).toString();
      const b = this.asking.get(ctx);
      if (b === undefined) continue;
      this.asking.delete(ctx);
      b.index = rs.index;
      this.waitingApply.push(b);
    }
    this.serveReads();
    // Applying a conf change may commit and answer reads waiting on the lease.
    this.catchUpTicks();
    this.raw.advance();
    // After advance(): a lease answer to a new ReadIndex lands in the next Ready.
    if (this.leader !== leaderBefore && this.leader !== null) this.reaskAfterLeaderChange();
    this.askGatheredIfIdle();
    if (confChanges.length > 0) {
      const conf = this.raw.status().conf;
      for (const cc of confChanges) this.hooks.confApplied(cc, conf);
    }
    // Raft wants the snapshot's image for a follower that fell behind the log.
    const wanted = rd.snapshotWanted !== null || this.imageUnread;
    const imageWanted = wanted && !this.imageStored;
    if (wanted && this.imageStored) this.offerSnapshot();
    for (const want of rd.snapshotChunksWanted) this.readChunk(want);
    if (
      this.compacting === null &&
      this.compacted === null &&
      this.loading === null &&
      (imageWanted || this.snapshotDue())
    ) {
      await this.startCompaction(imageWanted);
    }
  }

  /**
   * The stored snapshot holds its image: offer it to Raft (its index and
   * size, read from the engine in the background). Not while a snapshot is
   * being stored (the engine would then refuse the reads: ranges of the new
   * one under the old one's head) or is stored but not yet handed to Raft
   * (Raft would refuse the offer): Raft asks again at the follower's next
   * heartbeat answer. (Without an image, the Ready loop takes a snapshot
   * with one instead: startCompaction.)
   */
  private offerSnapshot(): void {
    const storing = this.compacting !== null || this.compacted !== null;
    if (this.loading !== null || storing || this.stopped) return;
    this.imageUnread = false;
    this.loading = this.sender
      .load()
      .then((stored) => {
        if (stored === null || this.stopped) return;
        if (stored === 'no-image') {
          // A follower must never be sent a snapshot without its state: the
          // next ask takes a snapshot with its image.
          this.imageStored = false;
          return;
        }
        // Raft ignores it if its log has moved to a newer snapshot meanwhile.
        if (!this.raw.offerSnapshot(stored.index, stored.total)) return;
        this.catchUp.snapshotPrepared(Date.now());
        this.log.info(
          { index: stored.index, bytes: stored.total },
          'sending the stored snapshot to a follower, a chunk at a time',
        );
        this.schedulePump();
      })
      .catch((err: unknown) => this.failedRead(err))
      .finally(() => {
        this.loading = null;
      });
  }

  /**
   * Reads a chunk of the offered snapshot that Raft is about to send, in
   * the background, and hands it over (Raft sends it to each follower that
   * needs it next). Raft asks for one chunk per follower at a time, so the
   * reads, and the chunks held, are bounded by the followers. A snapshot
   * the engine no longer stores is given up: its transfers start over.
   */
  private readChunk(want: SnapshotChunkWanted): void {
    const reading = this.sender.read(want);
    this.hooks.metrics.snapshotHeldBytes = this.sender.heldBytes;
    reading
      .then((chunk) => {
        this.hooks.metrics.snapshotHeldBytes = this.sender.heldBytes;
        if (chunk === null || this.stopped) return;
        if (chunk === 'moved') {
          this.log.info(
            { index: want.index },
            'the snapshot being sent was replaced in the storage engine; its transfers start over',
          );
          this.raw.snapshotUnavailable(want.index);
        } else {
          this.raw.provideSnapshotChunk(want.index, want.offset, chunk);
        }
        this.schedulePump();
      })
      .catch((err: unknown) => this.failedRead(err));
  }

  private failedRead(err: unknown): void {
    if (this.stopped) return;
    this.fail('the storage engine failed to read the snapshot back; reloading the raft state', err);
  }

  /**
   * Every `snapshotEvery` entries, or sooner once the entries since the last
   * snapshot total `snapshotBytes`: the Raft core keeps that log in memory,
   * so a log of big values must not wait for the entry count. Never while
   * this node is outside its membership (joining, or removed): a stored
   * snapshot that lacks it then says it never was a member (wasMember), so
   * a removed node still knows it after a restart. On a leader it waits
   * while a follower makes progress catching up (catch-up-watch.ts), until
   * the held log reaches `compactionHoldBytes`.
   */
  private snapshotDue(): boolean {
    const s = this.settings;
    const entries = this.submitted - this.snapshotIndex;
    const due = entries >= s.snapshotEvery || this.bytesSinceSnapshot >= s.snapshotBytes;
    if (!due) return false;
    const status = this.raw.status();
    const { voters, learners } = status.conf;
    if (!voters.includes(this.id) && !learners.includes(this.id)) return false;
    if (status.progress === null) return true;
    const d = this.catchUp.decide(
      status.progress,
      this.submitted,
      entries,
      this.bytesSinceSnapshot,
      Date.now(),
    );
    const wasHolding = this.holding;
    this.holding = d.hold;
    const logged = { followers: d.holders, entries, heldBytes: d.heldBytes };
    if (d.overLimit) {
      this.log.warn(
        { ...logged, limit: s.compactionHoldBytes },
        'the log held while a follower catches up reached --compaction-hold-bytes: compacting anyway, so its catch-up starts over from a newer snapshot and may never end under these writes; raise --compaction-hold-bytes (RAFT_COMPACTION_HOLD_BYTES) if memory and disk allow, or write less until it has caught up',
      );
    } else if (d.hold && !wasHolding) {
      this.log.info(logged, 'compaction held while a follower catches up');
    }
    return !d.hold;
  }

  /**
   * A snapshot from the leader, staged as it arrived, replaces the state
   * machine and the whole log.
   */
  private async install(metadata: SnapshotMetadata): Promise<void> {
    // Silent until done: the leader holds its compactions as long as it hears this.
    const tellLeader = (): void => {
      if (this.leader !== null && this.leader !== this.id) this.hooks.installing(this.leader);
    };
    tellLeader();
    const telling = setInterval(tellLeader, this.settings.electionTick * this.settings.tickMs);
    try {
      await this.installStaged(metadata);
    } finally {
      clearInterval(telling);
    }
  }

  private async installStaged(metadata: SnapshotMetadata): Promise<void> {
    await this.applyChain;
    // A snapshot of our own under way would write an older one after this.
    await this.compacting;
    await this.loading;
    this.compacted = null;
    this.sender.forget();
    const { index, term, conf } = metadata;
    const started = performance.now();
    this.log.info(
      { index, bytes: this.staging.stagedBytes },
      'installing a snapshot from the leader: the storage engine writes it in one transaction and answers nothing else meanwhile (1-3 s per million keys)',
    );
    const book = await this.staging.install(metadata);
    // The install stores the head alone: a follower that needs this node's
    // image later (it may lead by then) gets one taken from the state.
    this.imageStored = this.imageUnread = false;
    this.submitted = this.applied = this.snapshotIndex = this.durableIndex = index;
    this.bytesSinceSnapshot = 0;
    this.largest.clear();
    this.forecast.clear();
    this.appliedTerm = term;
    // Proposals inside the snapshot may or may not have been committed.
    this.proposals.rejectThrough(
      new OutcomeUnknownError('replaced by a snapshot from the leader'),
      index,
    );
    this.log.info(
      { index, term, seconds: Math.round(performance.now() - started) / 1000 },
      'installed a snapshot from the leader',
    );
    this.hooks.snapshotInstalled(book, conf);
  }

  /**
   * The Ready commits a conf change not yet handed to the state machine. It
   * takes effect at advance(), so the commit index that covers it is written
   * (durably) with this Ready's append first: a restart replays the log
   * from the engine's applied index (which may lag by up to
   * APPLY_COMMIT_DELAY_MS) through the durable commit index, and conf
   * changes take effect when applied, so without it a restarted node would
   * go back to the membership before the change. Nobody would tell a removed node the
   * commit again, so it would never learn its removal (docs/cluster.md).
   */
  private hasNewConfChange(rd: Ready): boolean {
    for (const e of rd.committedEntries) {
      if (e.type === 'conf-change' && e.index > this.submitted) return true;
    }
    return false;
  }

  private applyCommitted(rd: Ready): ConfChange[] {
    const confChanges: ConfChange[] = [];
    // Decoded for the forecast; the engine gets each entry's own bytes, not encoded again.
    const proposals: Proposal[] = [];
    const encoded: Uint8Array[] = [];
    const terms: number[] = [];
    let first = -1;
    for (const e of rd.committedEntries) {
      if (e.index <= this.submitted) continue;
      if (first < 0) first = e.index;
      terms.push(e.term);
      this.bytesSinceSnapshot += e.data.length;
      if (e.type === 'conf-change') {
        confChanges.push(decodeConfChange(e.data));
        proposals.push(NOOP);
        encoded.push(NOOP_BYTES);
      } else if (e.data.length === 0) {
        proposals.push(NOOP);
        encoded.push(NOOP_BYTES);
      } else {
        // This leader's own proposal (same index and term: the same entry) is not decoded again.
        const mine = this.proposals.peek(e.index);
        const p = mine?.proposal && mine.term === e.term ? mine.proposal : decodeProposal(e.data);
        proposals.push(p);
        encoded.push(e.data);
        if (this.forecast.committed(e.index, p)) this.answerAtCommit(e.index, e.term, p);
      }
    }
    if (proposals.length === 0) return confChanges;
    const last = first + proposals.length - 1;
    this.submitted = last;
    const started = performance.now();
    const applying = applyInParts(
      this.storage,
      this.group,
      encoded,
      last,
      (i) => resultCarriesValue((proposals[i] as Proposal).command),
      this.settings.maxValueBytes,
    );
    applying.catch(() => undefined); // handled in the chain below
    this.applyChain = this.applyChain.then(async () => {
      if (this.stopped) return;
      let results: KvResult[];
      try {
        results = await applying;
      } catch (err) {
        if (!this.stopped)
          this.fail('the storage engine failed to apply; reloading the raft state', err);
        return;
      }
      this.hooks.metrics.storageCall('apply', performance.now() - started, proposals.length);
      this.applied = last;
      this.appliedTerm = terms[terms.length - 1] as number;
      for (let i = 0; i < results.length; i++) {
        const index = first + i;
        this.forecast.applied(index, proposals[i] as Proposal, results[i] as KvResult);
        const p = this.proposals.take(index);
        if (p === undefined) continue;
        if (p.term === terms[i]) p.resolve(results[i] as KvResult);
        // Another entry is committed at its index: this one never will be.
        else p.reject(new NotAppliedError('another entry was committed in its place'));
      }
      this.serveReads();
    });
    return confChanges;
  }

  /**
   * Answers the proposal at `index` now, before the state machine applies it,
   * when its result cannot depend on the state: a command that does not read
   * it (resultWithoutState) in a session the state machine will apply it in
   * afresh (the forecast). The entry is committed (on a majority) and durable
   * in this node's log: handle() hands committed entries here only once they
   * are (appended by an earlier, awaited Ready, or by this Ready's append,
   * awaited first). Linearizable all the same: every read that
   * starts after this answer gets a read index at or past `index` (the commit
   * index of this leader, or of any later one, which holds every committed
   * entry) and is served only once this node's state machine has applied
   * through it (serveReads); see docs/cluster.md. The proposal leaves the map,
   * so the apply does not answer it again.
   */
  private answerAtCommit(index: number, term: number, proposal: Proposal): void {
    const p = this.proposals.peek(index);
    // Another entry was committed at its index: the apply rejects it.
    if (p === undefined || p.term !== term) return;
    const result = resultWithoutState(proposal.command);
    if (result === null) return;
    this.proposals.take(index);
    this.hooks.metrics.writesAnsweredAtCommit++;
    p.resolve(result);
  }

  /**
   * Snapshot of the state machine at the applied index; the log before it is
   * dropped. Only the start holds up the Ready loop: once every apply sent is
   * answered, the request goes out ahead of any later apply on the same
   * storage connection, and the engine checks the applied index once the
   * applies before it are committed and before any after it is staged
   * (GroupCommitter.atCommittedState) — so the state machine the snapshot
   * covers is durable before it, and an image is at exactly `index` while
   * applies go on. A compaction stores the snapshot's head only (the state
   * machine itself is its image); with `image` (a follower fell behind the
   * log) the engine copies the image into the snapshot in the background, to
   * be read back (loadSnapshot). Raft is then told to compact without the
   * image (takeCompaction).
   */
  private async startCompaction(image: boolean): Promise<void> {
    await this.applyChain;
    if (this.stopped) return;
    const index = this.applied;
    this.bytesSinceSnapshot = 0;
    const started = performance.now();
    const conf = this.raw.status().conf;
    const head = encodeStoredSnapshot({
      metadata: { index, term: this.appliedTerm, conf },
      data: encodeSnapshotData(this.hooks.book(), NO_IMAGE),
    });
    const stored = this.storage.raftSnapshotFromState(this.group, index, head, image);
    this.compacting = this.finishCompaction(stored, index, started, image)
      .catch((err: unknown) => {
        if (this.stopped) return;
        this.fail('the storage engine failed to take a snapshot; reloading the raft state', err);
      })
      .finally(() => {
        this.compacting = null;
      });
  }

  private async finishCompaction(
    stored: Promise<void>,
    index: number,
    started: number,
    image: boolean,
  ): Promise<void> {
    await stored;
    if (this.stopped) return; // a reloaded driver takes its own snapshots
    await this.storage.raftCompact(this.group, index);
    this.compacted = { index, started, image };
    this.schedulePump();
  }

  /** Hands a finished snapshot to Raft, between two Readys. */
  private takeCompaction(): void {
    const c = this.compacted;
    if (c === null) return;
    this.compacted = null;
    // The engine's snapshot was replaced, even at the same index (nothing applied since).
    this.imageStored = this.imageUnread = c.image;
    if (c.image) {
      this.catchUp.snapshotPrepared(Date.now());
      this.log.info({ index: c.index }, 'snapshot with its image taken for a follower');
    }
    if (c.index <= this.snapshotIndex) return;
    this.raw.compact(c.index, null);
    this.snapshotIndex = c.index;
    this.largest.compacted(c.index);
    this.hooks.metrics.snapshotTaken(performance.now() - c.started);
    this.log.info({ index: c.index }, 'snapshot taken; log compacted');
  }
}

function settleReads(b: ReadBatch, err: Error | null): void {
  b.timer.disarm();
  for (const w of b.waiters) {
    if (w.done) continue;
    w.done = true;
    if (err) w.reject(err);
    else w.resolve();
  }
}

/** Fails the waiters past their deadline; returns the next deadline of the others. */
function expireReads(waiters: ReadWaiter[], now: number): number {
  let next = Infinity;
  for (const w of waiters) {
    if (w.done) continue;
    if (w.deadline <= now) {
      w.done = true;
      w.reject(new OutcomeUnknownError(`read index not confirmed within ${w.timeoutMs} ms`));
    } else if (w.deadline < next) next = w.deadline;
  }
  return next;
}
