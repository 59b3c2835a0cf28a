// One simulated node: a RawNode, its fake disk and its KV state machine,
// driven by the Ready loop exactly as a coordinator drives it — persist, then
// send, then apply, then advance — with persistence that completes after a
// simulated fsync delay. A crash throws away everything but the disk.

import { decodeProposal, encodeProposal } from '../kv/codec.js';
import type { KvResult, Proposal } from '../kv/types.js';
import { decodeConfChange } from '../raft/codec.js';
import { RawNode } from '../raft/raw-node.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  RaftConfig,
  Ready,
  Role,
  Snapshot,
  SnapshotChunkWanted,
  SnapshotMetadata,
} from '../raft/types.js';
import type { SimBugs } from './bugs.js';
import type { ClientRequest, Reply } from './client-protocol.js';
import { FakeDisk } from './disk.js';
import type { EventQueue } from './event-queue.js';
import { KvState, hashImage } from './kv-image.js';
import type { Prng } from './prng.js';
import type { SafetyMonitor } from './safety-monitor.js';

export interface NodeEnv {
  queue: EventQueue;
  monitor: SafetyMonitor;
  bugs: SimBugs;
  /** A leader sends its appends before its own log write completes. */
  leaderEarlySend: boolean;
  /** Applied entries between two snapshots (RawNode.compact). */
  compactEvery: number;
  /**
   * Compact without the snapshot's data and restart without it; when a
   * Ready asks, offer its size, then read each chunk asked for from disk
   * (after a simulated read; sometimes shorter than asked, sometimes
   * failing as if the snapshot had been replaced) — as the coordinator does.
   */
  lazySnapshots: boolean;
  raftConfig(id: NodeId, applied: number, random: () => number): RaftConfig;
  send(m: Message): void;
  /** Simulated fsync latency of one write, virtual ms. */
  diskDelay(): number;
  onConfChange(by: NodeId, cc: ConfChange, conf: ConfState): void;
  trace(line: string): void;
}

interface PendingRead {
  key: Uint8Array;
  reply: Reply;
  since: number;
}

const SLOW_DISK_FACTOR = 10;

/** A fifth of a tick, as the coordinator's 2 ms are of its 100 ms heartbeat. */
const COMMIT_FLUSH_MS = 2;

/**
 * A hedge of a thrifty read round (raft-driver.ts) fires after a random
 * delay up to a heartbeat interval (2 ticks), so that hedges race the
 * round's answers, each other and the periodic heartbeat.
 */
const READ_HEDGE_MAX_MS = 20;

/** Chance that a chunk read is refused as if a newer snapshot had replaced the stored one. */
const CHUNK_READ_MOVED = 0.02;

/** Reads whose ReadIndex never came back (lost messages, lost leadership) are forgotten after this. */
const READ_FORGET_MS = 2000;

export class SimNode {
  readonly disk: FakeDisk;
  /** What the node's log holds as far as its Readies told: durable or not. */
  log: FakeDisk;
  raw: RawNode | null = null;
  state = new KvState();
  applied = 0;
  conf: ConfState;
  role: Role = 'follower';
  term = 0;
  leader: NodeId | null = null;
  incarnation = 0;
  pausedUntil = 0;
  /**
   * Ticks the clock owed while the node was stalled, with lease reads: the
   * coordinator then ticks by the monotonic clock (tick-clock.ts), so they
   * are delivered before the node's next step. Without, a stall loses them.
   */
  missedTicks = 0;
  /** A failing disk: fsyncs take this many times longer until `slowDiskUntil`. */
  slowDiskUntil = 0;
  private persisting = false;
  /**
   * The state machine as a durable store (LMDB in the real coordinator)
   * last saved it, with its applied index; null for a node whose state
   * machine is volatile and is rebuilt from the snapshot after a crash.
   */
  private saved: { image: Uint8Array; applied: number } | null = null;
  private lastSnapshot = 0;
  /** A snapshot's size is being read from disk for the core (lazySnapshots). */
  private loadingSnapshot = false;
  /** Decides the simulated chunk reads' lengths and failures (lazySnapshots). */
  private chunkRng: Prng | null = null;
  /** The lazy commit broadcast's flush is due. */
  private commitFlushDue = false;
  /** The read request a hedge is scheduled for, and that schedule's number (later ones replace it). */
  private hedgeSeq: number | null = null;
  private hedgeArmed = 0;
  /** Decides the hedges' delays. */
  private hedgeRng: Prng | null = null;
  private writes = new Map<string, { seq: number; reply: Reply }>();
  private reads = new Map<string, PendingRead>();
  private readWaits: Array<{ index: number; read: PendingRead }> = [];
  private readCounter = 0;

  constructor(
    readonly id: NodeId,
    initialConf: ConfState,
    private readonly env: NodeEnv,
    /** Whether the state machine survives crashes (else it is rebuilt from the snapshot). */
    readonly durableState: boolean,
  ) {
    this.disk = new FakeDisk(initialConf);
    this.log = new FakeDisk(initialConf);
    this.conf = initialConf;
  }

  get up(): boolean {
    return this.raw !== null;
  }

  /** Boots (or reboots) from what the disk holds. */
  start(rng: Prng): void {
    this.incarnation++;
    this.missedTicks = 0;
    const persisted = this.disk.restore();
    const snap = this.disk.snapshot;
    this.lastSnapshot = snap?.metadata.index ?? 0;
    const saved = this.saved;
    if (saved && saved.applied > this.lastSnapshot) {
      this.state = KvState.fromImage(saved.image);
      this.applied = saved.applied;
    } else {
      this.state = snap ? KvState.fromImage(snap.data) : new KvState();
      this.applied = this.lastSnapshot;
    }
    this.log = copyDisk(this.disk);
    this.role = 'follower';
    this.leader = null;
    this.term = persisted.hardState.term;
    this.persisting = false;
    this.loadingSnapshot = false;
    this.chunkRng = rng.derive(`chunks-${this.id}-${this.incarnation}`);
    this.hedgeRng = rng.derive(`hedges-${this.id}-${this.incarnation}`);
    this.hedgeSeq = null;
    this.writes.clear();
    this.reads.clear();
    this.readWaits = [];
    const random = (): number => rng.next();
    const restored =
      this.env.lazySnapshots && snap
        ? { ...persisted, snapshot: { metadata: snap.metadata, data: null } }
        : persisted;
    this.raw = new RawNode(this.env.raftConfig(this.id, this.applied, random), restored);
    this.conf = this.raw.status().conf;
    // What survived the crash must be the committed log's state at its index.
    this.env.monitor.onApplied(this.id, this.applied, hashImage(this.state.image()));
    this.env.trace(
      `${this.id} start #${this.incarnation} applied=${this.applied}${this.durableState ? ' (durable state machine)' : ''}`,
    );
    this.pump();
  }

  /**
   * Power cut: only the disk survives. When only the storage was lost
   * (`storageLost`, the coordinator's engine died), a leader first hands
   * leadership to a caught-up voter, as the coordinator does (RawNode.handOver).
   */
  crash(storageLost = false): void {
    const m = storageLost ? this.raw?.handOver() : null;
    if (m) {
      this.env.trace(`${this.id} storage lost: hands over to ${m.to}`);
      this.send(m);
    }
    this.raw = null;
    this.role = 'follower';
    this.leader = null;
    this.persisting = false;
    this.env.trace(`${this.id} crash`);
  }

  tick(): void {
    if (!this.raw) return;
    this.catchUpTicks();
    this.raw.tick();
    this.pump();
  }

  private catchUpTicks(): void {
    for (; this.missedTicks > 0; this.missedTicks--) this.raw?.tick();
  }

  receive(m: Message): void {
    if (!this.raw) return;
    this.catchUpTicks();
    this.raw.step(m);
    this.pump();
  }

  request(req: ClientRequest, reply: Reply): void {
    const raw = this.raw;
    if (!raw) return;
    if (req.kind === 'read') {
      if (this.env.bugs.localReads) {
        reply({ kind: 'value', value: this.state.get(req.key) ?? null });
        return;
      }
      this.forgetOldReads();
      const ctx = `${this.id}/${this.incarnation}/${++this.readCounter}`;
      this.reads.set(ctx, { key: req.key, reply, since: this.env.queue.now });
      this.catchUpTicks();
      raw.readIndex(Buffer.from(ctx));
    } else {
      const proposal: Proposal = {
        session: { clientId: req.clientId, seq: req.seq },
        command: req.command,
      };
      const r = raw.propose(encodeProposal(proposal));
      if (!r.ok) {
        // Too large is refused by every leader; anything else may work elsewhere or later.
        reply(
          r.reason === 'too-large'
            ? { kind: 'refused', reason: r.reason }
            : { kind: 'redirect', leader: r.leader },
        );
        return;
      }
      if (this.env.bugs.ackOnPropose) {
        reply({ kind: 'result', result: fakeSuccess(proposal) });
      } else {
        this.writes.set(req.clientId, { seq: req.seq, reply });
      }
    }
    this.pump();
  }

  /** Leadership transfer and membership, as an operator would ask the leader. */
  transferLeader(to: NodeId): void {
    this.raw?.transferLeader(to);
    this.pump();
  }

  /**
   * The transport could not deliver `m` (peer down or cut off). As in the
   * coordinator, a lost snapshot chunk is not reported apart: the
   * core gives up on a follower silent for an election timeout by itself.
   */
  reportUnreachable(m: Message): void {
    const raw = this.raw;
    if (!raw) return;
    this.whenRunning(() => {
      if (this.raw !== raw) return;
      raw.reportUnreachable(m.to);
      this.pump();
    });
  }

  /** False when refused; an invalid change for the current membership is refused too. */
  proposeConfChange(cc: ConfChange): boolean {
    const raw = this.raw;
    if (!raw) return false;
    let ok: boolean;
    try {
      ok = raw.proposeConfChange(cc).ok;
    } catch {
      ok = false;
    }
    this.pump();
    return ok;
  }

  /** Takes the next Ready, if any, and starts persisting it. */
  private pump(): void {
    const raw = this.raw;
    if (!raw || this.persisting || !raw.hasReady()) return;
    let rd = raw.ready();
    const monitor = this.env.monitor;
    this.log.write(rd);
    if (rd.entries.length > 0) monitor.onAppend(this.id, rd.entries, this.log);
    if (rd.hardState) this.term = rd.hardState.term;
    if (rd.softState) {
      this.role = rd.softState.role;
      this.leader = rd.softState.leader;
      this.env.trace(`${this.id} ${this.role} term=${this.term} leader=${this.leader ?? '-'}`);
      if (this.role === 'leader') monitor.onLeader(this.id, this.term, this.log);
    }
    if (rd.hardState && this.role === 'leader') {
      monitor.onLeaderCommit(this.id, this.term, rd.hardState.commit, this.log);
    }
    const durable =
      rd.hardState !== null ||
      rd.entries.length > 0 ||
      rd.incomingSnapshot.length > 0 ||
      rd.snapshot !== null;
    if (!durable) {
      this.handle(rd);
      return;
    }
    if (this.env.leaderEarlySend && this.role === 'leader') {
      // Replicate while writing our own log (thesis §10.2.1): only the
      // leader's appends and heartbeats go before its fsync.
      const later: Message[] = [];
      for (const m of rd.messages) {
        if (m.type === 'append' || m.type === 'heartbeat') this.env.send(m);
        else later.push(m);
      }
      rd = { ...rd, messages: later };
    }
    if (this.env.bugs.ackSnapshotEarly) {
      const later: Message[] = [];
      for (const m of rd.messages) {
        if (m.type === 'snapshot-response') this.send(m);
        else later.push(m);
      }
      rd = { ...rd, messages: later };
    }
    this.persisting = true;
    const incarnation = this.incarnation;
    const slow = this.slowDiskUntil > this.env.queue.now ? SLOW_DISK_FACTOR : 1;
    this.env.queue.after(this.env.diskDelay() * slow, () => {
      if (this.incarnation !== incarnation || !this.raw) return; // crashed meanwhile: lost
      const hs = rd.hardState;
      this.disk.write(
        this.env.bugs.forgetVote && hs ? { ...rd, hardState: { ...hs, vote: null } } : rd,
      );
      this.whenRunning(() => {
        if (this.incarnation !== incarnation || !this.raw) return;
        this.persisting = false;
        this.handle(rd);
      });
    });
  }

  /** Runs `fn` now, or when a pause (a stalled process) ends. */
  whenRunning(fn: () => void): void {
    const now = this.env.queue.now;
    // Checked again then: the stall may have been extended meanwhile.
    if (this.pausedUntil > now) this.env.queue.at(this.pausedUntil, () => this.whenRunning(fn));
    else fn();
  }

  /** After `rd` is durable: send, apply, serve reads, advance. */
  private handle(rd: Ready): void {
    const raw = this.raw as RawNode;
    for (const step of rd.incomingSnapshot) {
      if (step.type === 'drop') this.env.monitor.snapshotsDropped++;
    }
    for (const m of rd.messages) this.send(m);
    if (rd.snapshot) this.restore(rd.snapshot);
    const confChanges: ConfChange[] = [];
    for (const e of rd.committedEntries) {
      this.apply(e);
      if (e.type === 'conf-change') confChanges.push(decodeConfChange(e.data));
    }
    if (rd.snapshot || rd.committedEntries.length > 0) {
      const image = this.state.image();
      if (this.durableState) this.saved = { image, applied: this.applied };
      this.env.monitor.onApplied(this.id, this.applied, hashImage(image));
    }
    for (const rs of rd.readStates) {
      const ctx = Buffer.from(rs.context).toString();
      const read = this.reads.get(ctx);
      if (!read) continue;
      this.reads.delete(ctx);
      this.readWaits.push({ index: rs.index, read });
    }
    this.serveReads();
    // Applying a conf change may commit and answer reads waiting on the lease.
    this.catchUpTicks();
    raw.advance();
    // Conf changes take effect in advance().
    if (confChanges.length > 0) {
      this.conf = raw.status().conf;
      for (const cc of confChanges) this.env.onConfChange(this.id, cc, this.conf);
    }
    this.maybeCompact();
    if (rd.snapshotWanted !== null) this.loadSnapshot();
    for (const want of rd.snapshotChunksWanted) this.readChunk(want);
    this.scheduleCommitFlush();
    this.scheduleReadHedge();
    this.pump();
  }

  /** As the coordinator does (raft-driver.ts): a commit no append carried is sent after a while. */
  private scheduleCommitFlush(): void {
    const raw = this.raw;
    if (raw === null || this.commitFlushDue || !raw.commitUnsent()) return;
    const index = raw.committed();
    this.commitFlushDue = true;
    this.env.queue.after(COMMIT_FLUSH_MS, () => {
      this.whenRunning(() => {
        this.commitFlushDue = false;
        if (this.raw !== raw) return; // crashed meanwhile
        raw.sendCommit(index);
        this.pump();
      });
    });
  }

  /** As the coordinator does (raft-driver.ts): a read round that asked some followers only is hedged after a while. */
  private scheduleReadHedge(): void {
    const raw = this.raw;
    const seq = raw?.readRoundToHedge() ?? null;
    if (raw === null || seq === this.hedgeSeq) return;
    this.hedgeSeq = seq;
    if (seq === null) return;
    const armed = ++this.hedgeArmed;
    const rng = this.hedgeRng as Prng;
    this.env.queue.after(rng.int(READ_HEDGE_MAX_MS + 1), () => {
      this.whenRunning(() => {
        if (this.raw !== raw || this.hedgeArmed !== armed) return; // crashed, or re-armed
        this.hedgeSeq = null;
        raw.hedgeReadRound(seq);
        this.env.trace(`${this.id} hedges read round ${seq}`);
        this.pump();
      });
    });
  }

  /** Sends `m`; an acknowledgment of snapshot bytes is checked against what is durably staged. */
  private send(m: Message): void {
    if (m.type === 'snapshot-response' && !m.reject && m.snapshot !== null) {
      this.env.monitor.onSnapshotAck(this.id, m.snapshot, this.disk);
    }
    this.env.send(m);
  }

  /** The core wants the snapshot's size: read it from disk, after a simulated delay. */
  private loadSnapshot(): void {
    if (this.loadingSnapshot) return;
    this.loadingSnapshot = true;
    const raw = this.raw;
    this.env.queue.after(this.env.diskDelay(), () => {
      this.whenRunning(() => {
        if (this.raw !== raw || raw === null) return; // crashed meanwhile
        this.loadingSnapshot = false;
        const snap = this.disk.snapshot;
        if (snap === null) return;
        const taken = raw.offerSnapshot(snap.metadata.index, snap.data.length);
        this.env.trace(
          `${this.id} offered snapshot ${snap.metadata.index}${taken ? '' : ' (stale, ignored)'}`,
        );
        this.pump();
      });
    });
  }

  /**
   * The core is about to send a chunk of the offered snapshot: read it from
   * disk after a simulated delay, as the coordinator reads it from its
   * storage engine; refused when the disk holds another snapshot by then
   * (compacted meanwhile), or at random as if it did.
   */
  private readChunk(want: SnapshotChunkWanted): void {
    const raw = this.raw;
    const rng = this.chunkRng as Prng;
    this.env.queue.after(this.env.diskDelay(), () => {
      this.whenRunning(() => {
        if (this.raw !== raw || raw === null) return; // crashed meanwhile
        const snap = this.disk.snapshot;
        if (snap === null || snap.metadata.index !== want.index || rng.chance(CHUNK_READ_MOVED)) {
          this.env.trace(`${this.id} cannot read snapshot ${want.index} any more`);
          this.env.monitor.snapshotChunkReadsRefused++;
          raw.snapshotUnavailable(want.index);
        } else {
          // A read may end early (the coordinator's ends at a stored piece's end).
          const length = rng.chance(0.5) ? want.length : 1 + rng.int(want.length);
          const data = snap.data.subarray(want.offset, want.offset + length);
          this.env.monitor.snapshotChunksRead++;
          raw.provideSnapshotChunk(want.index, want.offset, data);
        }
        this.pump();
      });
    });
  }

  /** Installs the snapshot the disk staged and installed (DiskWrite). */
  private restore(metadata: SnapshotMetadata): void {
    const snap = this.disk.snapshot;
    if (snap === null || snap.metadata.index !== metadata.index) {
      throw new Error(`${this.id}: snapshot ${metadata.index} is not the one on disk`);
    }
    this.env.monitor.snapshotsInstalled++;
    this.state = KvState.fromImage(snap.data);
    this.applied = snap.metadata.index;
    this.lastSnapshot = this.applied;
    this.conf = snap.metadata.conf;
    this.env.trace(`${this.id} restored snapshot at ${this.applied}`);
  }

  private apply(e: Entry): void {
    this.env.monitor.onApplyEntry(this.id, e);
    this.applied = e.index;
    // Conf changes are the core's business; a new leader's no-op is empty.
    if (e.type === 'conf-change' || e.data.length === 0) return;
    const p = decodeProposal(e.data);
    if (this.env.bugs.dropWritesOn === this.id && p.command.op === 'put' && e.index % 3 === 0) {
      return;
    }
    const result = this.state.apply(p, e.index);
    if (!p.session) return;
    const waiting = this.writes.get(p.session.clientId);
    if (waiting && waiting.seq === p.session.seq) {
      this.writes.delete(p.session.clientId);
      waiting.reply({ kind: 'result', result });
    }
  }

  private serveReads(): void {
    if (this.readWaits.length === 0) return;
    const later: typeof this.readWaits = [];
    for (const w of this.readWaits) {
      if (w.index <= this.applied) {
        w.read.reply({ kind: 'value', value: this.state.get(w.read.key) ?? null });
      } else {
        later.push(w);
      }
    }
    this.readWaits = later;
  }

  private forgetOldReads(): void {
    const cutoff = this.env.queue.now - READ_FORGET_MS;
    for (const [ctx, r] of this.reads) if (r.since < cutoff) this.reads.delete(ctx);
  }

  private maybeCompact(): void {
    const raw = this.raw;
    if (!raw || this.applied - this.lastSnapshot < this.env.compactEvery) return;
    const term = this.log.term(this.applied);
    if (term === undefined) return;
    const snap: Snapshot = {
      metadata: { index: this.applied, term, conf: this.conf },
      data: this.state.image(),
    };
    raw.compact(this.applied, this.env.lazySnapshots ? null : snap.data);
    this.disk.installSnapshot(snap);
    this.log.installSnapshot(snap);
    this.lastSnapshot = this.applied;
  }
}

function copyDisk(d: FakeDisk): FakeDisk {
  const c = new FakeDisk(d.initialConf);
  c.hardState = { ...d.hardState };
  c.snapshot = d.snapshot;
  c.entries = d.entries.slice();
  c.staged = d.staged && { ...d.staged, pieces: d.staged.pieces.slice() };
  return c;
}

/** What a write would answer had it succeeded: the ackOnPropose bug's lie. */
function fakeSuccess(p: Proposal): KvResult {
  const c = p.command;
  if (c.op === 'cas') return { op: 'cas', swapped: true, current: c.value };
  return { op: 'put', written: true, old: null };
}
