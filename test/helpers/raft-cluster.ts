// A tiny in-process harness for the raft unit tests: each peer persists and
// applies its Ready batches in memory exactly as the contract says, and a
// message pump delivers (or drops) what they send. Deterministic: no timers.
import { RawNode } from '../../src/raft/raw-node.js';
import type {
  Entry,
  HardState,
  IncomingSnapshotStep,
  Message,
  NodeId,
  RaftConfig,
  ReadState,
  Ready,
  Snapshot,
  SnapshotChunkWanted,
} from '../../src/raft/types.js';

const text = new TextDecoder();
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A seeded PRNG (mulberry32) so every run is the same. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testConfig(id: NodeId, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id,
    group: 1,
    electionTick: 10,
    heartbeatTick: 1,
    random: seededRandom(id.charCodeAt(id.length - 1)),
    preVote: true,
    checkQuorum: true,
    maxSizePerMsg: 1 << 20,
    maxInflightMsgs: 256,
    maxInflightBytes: 1 << 23,
    maxUncommittedEntriesSize: 1 << 30,
    readOnlyOption: 'safe',
    snapshotChunkSize: 1 << 16,
    applied: 0,
    ...overrides,
  };
}

/** One node plus the "disk" and state machine its application keeps. */
export class Peer {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  entries: Entry[] = [];
  snapshot: Snapshot | null = null;
  /** The state machine: the data of every applied normal entry, in order. */
  state: string[] = [];
  appliedIndex = 0;
  readStates: ReadState[] = [];
  /** Every Ready.snapshotWanted, in order. */
  wanted: number[] = [];
  /** The chunks Readies asked for (snapshotChunksWanted) and not yet answered, in order. */
  chunksWanted: SnapshotChunkWanted[] = [];
  /**
   * A snapshot being received, as the pieces staged so far (persisted: a
   * restart keeps them, as the engine keeps its staging area, but the core
   * starts over, so they are never used again); null when none.
   */
  staged: { index: number; total: number; pieces: Uint8Array[] } | null = null;
  /** Every Ready handled, when a test asks for them (set to []). */
  readies: Ready[] | null = null;
  node: RawNode;

  constructor(
    readonly id: NodeId,
    private readonly voters: NodeId[],
    private readonly overrides: Partial<RaftConfig>,
    private readonly learners: NodeId[] = [],
  ) {
    this.node = this.boot();
  }

  private boot(): RawNode {
    return new RawNode(testConfig(this.id, { ...this.overrides, applied: this.appliedIndex }), {
      hardState: this.hardState,
      snapshot: this.snapshot,
      entries: [...this.entries],
      initialConf: { voters: this.voters, learners: this.learners },
    });
  }

  /** Crash and restart: what was persisted survives; the state machine is rebuilt from the snapshot. */
  restart(): void {
    this.state =
      this.snapshot === null ? [] : (JSON.parse(text.decode(this.snapshot.data)) as string[]);
    this.appliedIndex = this.snapshot?.metadata.index ?? 0;
    this.node = this.boot();
  }

  /** Handles one Ready in contract order; returns the messages to send. */
  handleReady(): Message[] {
    const rd = this.node.ready();
    this.readies?.push(rd);
    for (const step of rd.incomingSnapshot) this.stage(step);
    if (rd.snapshot !== null) {
      const data = this.takeStaged(rd.snapshot.index);
      this.snapshot = { metadata: rd.snapshot, data };
      this.entries = [];
      this.state = JSON.parse(text.decode(data)) as string[];
      this.appliedIndex = rd.snapshot.index;
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const keep = first.index - (this.snapshot?.metadata.index ?? 0) - 1;
      if (keep < this.entries.length) this.entries.length = keep;
      for (const e of rd.entries) this.entries.push(e);
    }
    if (rd.hardState !== null) this.hardState = rd.hardState;
    for (const e of rd.committedEntries) {
      if (e.index !== this.appliedIndex + 1) {
        throw new Error(`${this.id} applies ${e.index} after ${this.appliedIndex}`);
      }
      this.appliedIndex = e.index;
      if (e.type === 'normal' && e.data.length > 0) this.state.push(text.decode(e.data));
    }
    this.readStates.push(...rd.readStates);
    if (rd.snapshotWanted !== null) this.wanted.push(rd.snapshotWanted);
    this.chunksWanted.push(...rd.snapshotChunksWanted);
    this.node.advance();
    return rd.messages;
  }

  /** Stages a piece of an incoming snapshot (checking it follows what is staged), or drops them. */
  private stage(step: IncomingSnapshotStep): void {
    if (step.type === 'drop') {
      this.staged = null;
      return;
    }
    const { offset, total, data, metadata } = step.chunk;
    if (offset === 0) this.staged = { index: metadata.index, total, pieces: [] };
    const have = this.staged?.pieces.reduce((n, p) => n + p.length, 0);
    if (this.staged === null || have !== offset) {
      throw new Error(
        `${this.id} was handed a piece at ${offset} after ${have ?? 'nothing'} staged`,
      );
    }
    this.staged.pieces.push(data.slice());
  }

  /** The whole staged snapshot at `index`, which the Ready installs. */
  private takeStaged(index: number): Uint8Array {
    const staged = this.staged;
    const data = Buffer.concat(staged?.pieces ?? []);
    if (staged === null || staged.index !== index || data.length !== staged.total) {
      throw new Error(
        `${this.id} installs snapshot ${index} with ${data.length} bytes staged of ${staged === null ? 'none' : `snapshot ${staged.index} (${staged.total} bytes)`}`,
      );
    }
    this.staged = null;
    return data;
  }

  /**
   * Snapshot the state machine at the applied index and compact the log
   * before it; `lazy`: keep the data here, the node asks for it when needed.
   */
  compact(lazy = false): void {
    const data = bytes(JSON.stringify(this.state));
    this.node.compact(this.appliedIndex, lazy ? null : data);
    const snapIndex = this.appliedIndex;
    const term =
      this.entries.find((e) => e.index === snapIndex)?.term ?? this.snapshot?.metadata.term ?? 0;
    this.snapshot = {
      metadata: { index: snapIndex, term, conf: this.node.status().conf },
      data,
    };
    this.entries = this.entries.filter((e) => e.index > snapIndex);
  }

  /** Offers the node the snapshot this peer persisted, by its size; what offerSnapshot said. */
  offerSnapshot(): boolean {
    const s = this.snapshot;
    if (s === null) throw new Error(`${this.id} has no snapshot to offer`);
    return this.node.offerSnapshot(s.metadata.index, s.data.length);
  }

  /**
   * Answers the chunks asked for from the snapshot this peer persisted, at
   * most `most` bytes each; what provideSnapshotChunk said to each.
   */
  provideChunks(most = Infinity): boolean[] {
    const s = this.snapshot;
    if (s === null) throw new Error(`${this.id} has no snapshot to read chunks of`);
    const asked = this.chunksWanted;
    this.chunksWanted = [];
    return asked.map((w) => {
      const data = s.data.subarray(w.offset, w.offset + Math.min(w.length, most));
      return this.node.provideSnapshotChunk(w.index, w.offset, data);
    });
  }

  /** Hands the node the data of the snapshot this peer persisted; what provideSnapshot said. */
  provideSnapshot(): boolean {
    const s = this.snapshot;
    if (s === null) throw new Error(`${this.id} has no snapshot to provide`);
    return this.node.provideSnapshot(s.metadata.index, s.data);
  }
}

export class Cluster {
  readonly peers = new Map<NodeId, Peer>();
  /** Messages in flight, delivered in order by stabilize(). */
  inbox: Message[] = [];
  /** Return true to drop a message. */
  drop: (m: Message) => boolean = () => false;
  /** Every message delivered, for assertions. */
  delivered: Message[] = [];

  constructor(ids: NodeId[], overrides: Partial<RaftConfig> = {}, learners: NodeId[] = []) {
    for (const id of [...ids, ...learners]) {
      this.peers.set(id, new Peer(id, ids, overrides, learners));
    }
  }

  peer(id: NodeId): Peer {
    const p = this.peers.get(id);
    if (p === undefined) throw new Error(`no peer ${id}`);
    return p;
  }

  node(id: NodeId): RawNode {
    return this.peer(id).node;
  }

  addPeer(id: NodeId, voters: NodeId[], overrides: Partial<RaftConfig> = {}): Peer {
    const p = new Peer(id, voters, overrides);
    this.peers.set(id, p);
    return p;
  }

  /** Drops every message to or from `id` (both directions). */
  isolate(id: NodeId): void {
    this.drop = (m) => m.from === id || m.to === id;
  }

  heal(): void {
    this.drop = () => false;
  }

  /** Collects every Ready, without delivering. */
  flush(): void {
    for (const p of this.peers.values()) {
      while (p.node.hasReady()) this.inbox.push(...p.handleReady());
    }
  }

  /** Runs Ready handling and delivery until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      this.flush();
      if (this.inbox.length === 0) return;
      const batch = this.inbox;
      this.inbox = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('cluster did not stabilize');
  }

  deliver(m: Message): void {
    if (this.drop(m)) return;
    const to = this.peers.get(m.to);
    if (to === undefined) return;
    this.delivered.push(m);
    to.node.step(m);
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  /** Ticks every peer once and stabilizes, `n` times. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const p of this.peers.values()) p.node.tick();
      this.stabilize();
    }
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  leaders(): NodeId[] {
    return [...this.peers.values()]
      .filter((p) => p.node.status().role === 'leader')
      .map((p) => p.id);
  }

  propose(id: NodeId, data: string): ReturnType<RawNode['propose']> {
    return this.node(id).propose(bytes(data));
  }
}

/**
 * a leads, c misses 20 entries, then a and b compact their logs past them
 * (`lazy`: a compacts without data, which its application keeps).
 */
export function laggingFollower(lazy = false): Cluster {
  const c = new Cluster(['a', 'b', 'c'], { snapshotChunkSize: 16 });
  c.elect('a');
  c.isolate('c');
  for (let i = 0; i < 20; i++) c.propose('a', `value-${i}`);
  c.stabilize();
  c.peer('a').compact(lazy);
  c.peer('b').compact();
  return c;
}

/** The snapshot chunks delivered to `to`. */
export const chunksTo = (c: Cluster, to: NodeId): Message[] =>
  c.delivered.filter((m) => m.type === 'snapshot' && m.to === to);

export { bytes };
