import { invariant } from './invariant.js';
import { Raft } from './raft.js';
import type {
  ConfChange,
  Entry,
  HardState,
  Message,
  NodeId,
  PersistedState,
  ProgressStatus,
  ProposeResult,
  RaftConfig,
  RaftStatus,
  Ready,
  SoftState,
} from './types.js';

/**
 * The application's handle on one Raft group (etcd's RawNode). Inputs go in
 * through the methods; everything to persist, send and apply comes out as a
 * Ready, which the application handles in order and acknowledges with
 * advance() before asking for the next one.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** The Ready handed out and not yet advanced. */
  private outstanding: { applyingTo: number; committed: Entry[] } | null = null;

  constructor(config: RaftConfig, persisted: PersistedState) {
    this.raft = new Raft(config, persisted);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (as if the election timeout elapsed). */
  campaign(): void {
    this.raft.hup();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose(data);
  }

  /** Throws an Error explaining why when the change itself is invalid for the membership. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  readIndex(context: Uint8Array): void {
    this.raft.readIndex(context);
  }

  /**
   * Leader, thriftyReadIndex: the oldest ReadIndex request whose round asked
   * only some followers; null when there is none. The application hedges it
   * (hedgeReadRound) if it is still pending a while later.
   */
  readRoundToHedge(): number | null {
    return this.raft.readRoundToHedge();
  }

  /**
   * Sends the pending round's heartbeat, with the newest pending context, to
   * the followers it did not ask, if request `seq` (readRoundToHedge) or one
   * before it still waits: a slow follower then holds it no longer than the
   * application's hedge delay. A no-op when none waits or all were asked.
   */
  hedgeReadRound(seq: number): void {
    this.raft.hedgeReadRound(seq);
  }

  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  /**
   * The leader's storage failed and this node is being abandoned (reloaded
   * from disk as a follower): the `timeout-now` that hands leadership to a
   * caught-up voter, for the application to send at once, outside any
   * Ready; null when none is caught up yet or this node does not lead.
   */
  handOver(): Message | null {
    return this.raft.handOver();
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  /**
   * The application's state image at an applied index; the log before it is
   * dropped. With `data` null the application keeps the image: a Ready asks
   * for it (snapshotWanted) when a follower needs it.
   */
  compact(index: number, data: Uint8Array | null): void {
    this.raft.compact(index, data);
  }

  /**
   * The data of the snapshot at `index` that a Ready asked for; the transfer
   * starts with the next Ready. False (ignored) when the log has moved to
   * another snapshot meanwhile, or already holds the data.
   */
  provideSnapshot(index: number, data: Uint8Array): boolean {
    return this.raft.provideSnapshot(index, data);
  }

  /** The commit index (no allocation: for the application's hot loop). */
  committed(): number {
    return this.raft.log.committed;
  }

  /** Leader, lazy commit broadcast: a follower has not been told the commit index yet (nor flushed it). */
  commitUnsent(): boolean {
    return this.raft.commitUnsent();
  }

  /**
   * Leader, lazy commit broadcast: an append to each follower not yet told
   * a commit index of at least `index` (see docs/raft.md).
   */
  sendCommit(index: number): void {
    this.raft.sendCommit(index);
  }

  /**
   * The application holds the data of the snapshot at `index` that a Ready
   * asked for (snapshotWanted), `total` bytes: the core asks for each chunk
   * as it is sent (Ready.snapshotChunksWanted), holding none. False (ignored)
   * when the log has moved to another snapshot meanwhile, or holds the data.
   */
  offerSnapshot(index: number, total: number): boolean {
    return this.raft.offerSnapshot(index, total);
  }

  /**
   * A chunk a Ready asked for (snapshotChunksWanted): 1 to `length` bytes
   * from its offset (fewer than asked is fine). Sent to each follower that
   * needs it next; false (ignored) when none does any more.
   */
  provideSnapshotChunk(index: number, offset: number, data: Uint8Array): boolean {
    return this.raft.provideSnapshotChunk(index, offset, data);
  }

  /**
   * The snapshot at `index` can no longer be read (a newer one replaced it):
   * its transfers start over, and a Ready asks for the log's snapshot again.
   */
  snapshotUnavailable(index: number): void {
    this.raft.snapshotUnavailable(index);
  }

  /**
   * Lets go of the snapshot's data once no follower needs it; false (kept)
   * while it is being sent to one: try again later.
   */
  dropSnapshotData(): boolean {
    return this.raft.dropSnapshotData();
  }

  /**
   * Bytes of snapshot data held (0 when the application keeps it): the log's,
   * plus an older snapshot's still being sent after the log compacted.
   */
  snapshotDataBytes(): number {
    return this.raft.heldSnapshotBytes();
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  /** False while a Ready is outstanding (not yet advanced). */
  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    // Called in the application's hot loop: compare fields, allocate nothing.
    const r = this.raft;
    return (
      r.pendingBroadcast ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.snapshotWanted !== null ||
      r.snapshotChunksWanted.length > 0 ||
      r.snapshotReceiver.steps.length > 0 ||
      r.log.pendingSnapshot !== null ||
      r.log.stabled < r.log.lastIndex() ||
      r.log.hasNextCommittedEntries() ||
      r.lead !== this.prevSoft.leader ||
      r.role !== this.prevSoft.role ||
      r.term !== this.prevHard.term ||
      r.vote !== this.prevHard.vote ||
      r.log.committed !== this.prevHard.commit
    );
  }

  ready(): Ready {
    if (this.outstanding !== null) {
      throw new Error('ready() called again before advance() acknowledged the previous Ready');
    }
    const r = this.raft;
    r.flushProposals();
    const log = r.log;
    const soft = this.softState();
    const hard = this.hardState();
    const prev = this.prevHard;
    invariant(hard.term >= prev.term, 'term decreased', () => ({ id: r.id, prev, hard }));
    invariant(hard.commit >= prev.commit, 'commit decreased', () => ({ id: r.id, prev, hard }));
    invariant(
      hard.term !== prev.term || prev.vote === null || hard.vote === prev.vote,
      'vote changed within a term',
      () => ({ id: r.id, prev, hard }),
    );
    invariant(hard.commit <= log.lastIndex(), 'commit beyond the last index', () => ({
      id: r.id,
      hard,
      lastIndex: log.lastIndex(),
    }));
    const softChanged = soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role;
    const hardChanged =
      hard.term !== prev.term || hard.vote !== prev.vote || hard.commit !== prev.commit;
    const entries = log.unstableEntries();
    log.stabled = log.lastIndex();
    const incomingSnapshot = r.snapshotReceiver.steps;
    r.snapshotReceiver.steps = [];
    const snapshot = log.pendingSnapshot;
    log.pendingSnapshot = null;
    if (snapshot !== null) log.applying = Math.max(log.applying, snapshot.index);
    const committedEntries = log.nextCommittedEntries(
      r.cfg.maxCommittedSizePerReady ?? r.cfg.maxSizePerMsg,
    );
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      log.applying = lastCommitted.index;
      if (r.role === 'leader') {
        let bytes = 0;
        for (const e of committedEntries) bytes += e.data.length;
        r.uncommittedSize = Math.max(0, r.uncommittedSize - bytes);
      }
    }
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hard : null,
      entries,
      incomingSnapshot,
      snapshot,
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 ||
        incomingSnapshot.length > 0 ||
        snapshot !== null ||
        hard.term !== prev.term ||
        hard.vote !== prev.vote,
      snapshotWanted: r.snapshotWanted,
      snapshotChunksWanted: r.snapshotChunksWanted,
    };
    if (r.role === 'leader') {
      for (const m of r.msgs) {
        const e = m.type === 'append' ? m.entries[m.entries.length - 1] : undefined;
        if (e !== undefined && e.index > r.sentIndex) r.sentIndex = e.index;
      }
    }
    r.snapshotWanted = null;
    r.snapshotChunksWanted = [];
    r.msgs = [];
    r.readStates = [];
    this.prevSoft = soft;
    this.prevHard = hard;
    this.outstanding = { applyingTo: log.applying, committed: committedEntries };
    return rd;
  }

  /** The last Ready was persisted, sent and applied; conf changes in it take effect now. */
  advance(): void {
    const done = this.outstanding;
    if (done === null) throw new Error('advance() called without an outstanding Ready');
    this.outstanding = null;
    const log = this.raft.log;
    log.applied = Math.max(log.applied, done.applyingTo);
    for (const e of done.committed) if (e.type === 'conf-change') this.raft.applyConfChange(e);
  }

  status(): RaftStatus {
    const r = this.raft;
    let progress: Record<NodeId, ProgressStatus> | null = null;
    if (r.role === 'leader') {
      progress = {};
      for (const [id, pr] of r.tracker.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          inflight: pr.inflights.size,
          snapshotAcked: pr.snapshotSend?.offset ?? 0,
        };
      }
    }
    return {
      id: r.id,
      group: r.group,
      role: r.role,
      leader: r.lead,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: r.tracker.conf(),
      progress,
      leadTransferee: r.leadTransferee,
      pendingConfIndex: r.pendingConfIndex,
    };
  }
}
