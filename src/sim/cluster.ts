// A whole simulated cluster in one process: nodes, the network between them,
// clients, and the clocks that tick them, all on one virtual-time event queue.

import { HistoryRecorder } from '../check/history.js';
import type {
  ConfChange,
  ConfState,
  Message,
  NodeId,
  RaftConfig,
  ReadOnlyOption,
} from '../raft/types.js';
import type { SimBugs } from './bugs.js';
import type { ClientReply, ClientRequest } from './client-protocol.js';
import { SimClient } from './clients.js';
import { EventQueue } from './event-queue.js';
import { Network } from './network.js';
import { Prng } from './prng.js';
import { SafetyMonitor } from './safety-monitor.js';
import { SimNode } from './sim-node.js';

/** Virtual ms between two ticks of a node's clock. */
export const TICK_MS = 10;
const CLIENTS = 4;
/** Spare node ids per run that membership changes may add. */
const SPARES = 2;

export interface ClusterOptions {
  seed: number;
  nodes: number;
  bugs: SimBugs;
  diskDelay: [number, number];
  compactEvery: number;
  reads: ReadOnlyOption;
  leaderEarlySend: boolean;
  lazySnapshots: boolean;
  trace: ((line: string) => void) | null;
}

export interface ClusterStats {
  crashes: number;
  confChanges: number;
}

export class Cluster {
  readonly queue = new EventQueue();
  readonly rng: Prng;
  readonly network: Network;
  readonly monitor: SafetyMonitor;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly retired = new Set<NodeId>();
  readonly clients: SimClient[] = [];
  readonly history: HistoryRecorder;
  /** Session tags of acknowledged writes, with a description for error messages. */
  readonly acked = new Map<string, string>();
  private lastHistoryTime = 0;
  readonly bootstrap: ConfState;
  private readonly spares: NodeId[] = [];
  private readonly confChangesSeen = new Set<string>();
  diskDelay: [number, number];
  readonly stats: ClusterStats = { crashes: 0, confChanges: 0 };
  /** Fsync latencies, node kinds and clock rates: a stream of their own. */
  private readonly hardwareRng: Prng;

  constructor(private readonly opts: ClusterOptions) {
    this.rng = new Prng(opts.seed);
    this.diskDelay = opts.diskDelay;
    this.network = new Network(this.queue, this.rng.derive('network'), (m) => this.deliver(m));
    this.hardwareRng = this.rng.derive('hardware');
    this.monitor = new SafetyMonitor(() =>
      [...this.nodes.values()]
        .filter((n) => n.up && n.role === 'leader')
        .map((n) => ({ id: n.id, term: n.term, log: n.log })),
    );
    const voters = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    for (let i = 0; i < SPARES; i++) this.spares.push(`n${opts.nodes + i + 1}`);
    this.bootstrap = { voters, learners: [] };
    for (const id of voters) this.addNode(id);
    // Virtual time, nudged so that events recorded in order never tie.
    this.history = new HistoryRecorder({
      now: () => (this.lastHistoryTime = Math.max(this.queue.now, this.lastHistoryTime + 1e-6)),
    });
    for (let i = 0; i < CLIENTS; i++) {
      const client = new SimClient(
        `c${i + 1}`,
        {
          queue: this.queue,
          nodes: () => this.members(),
          send: (to, req, onReply) => this.clientSend(to, req, onReply),
          history: this.history,
          acked: (session, what) => this.acked.set(session, what),
          trace: (line) => this.trace(line),
        },
        this.rng.derive(`client${i}`),
      );
      this.clients.push(client);
      client.start();
    }
  }

  trace(line: string): void {
    this.opts.trace?.(`${this.queue.now.toFixed(1).padStart(9)}ms ${line}`);
  }

  /** Nodes that are, or are becoming, part of the cluster. */
  members(): NodeId[] {
    return [...this.nodes.keys()].filter((id) => !this.retired.has(id));
  }

  /** The up leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && n.role === 'leader' && (!best || n.term > best.term)) best = n;
    }
    return best;
  }

  nextSpare(): NodeId | undefined {
    return this.spares.shift();
  }

  /** Creates and boots a node (bootstrap voters, or a spare joining as a learner). */
  addNode(id: NodeId): SimNode {
    const node = new SimNode(
      id,
      this.bootstrap,
      {
        queue: this.queue,
        monitor: this.monitor,
        bugs: this.opts.bugs,
        compactEvery: this.opts.compactEvery,
        leaderEarlySend: this.opts.leaderEarlySend,
        lazySnapshots: this.opts.lazySnapshots,
        raftConfig: (nodeId, applied, random) => this.raftConfig(nodeId, applied, random),
        send: (m) => this.send(m),
        diskDelay: () => this.hardwareRng.range(this.diskDelay[0], this.diskDelay[1]),
        onConfChange: (by, cc, conf) => this.onConfChange(by, cc, conf),
        trace: (line) => this.trace(line),
      },
      this.hardwareRng.chance(0.5),
    );
    this.nodes.set(id, node);
    node.start(this.rng.derive(`${id}#1`));
    this.startClock(node);
    return node;
  }

  /** Every other crash is of the storage alone: a leader hands over first (sim-node.ts). */
  crash(node: SimNode): void {
    if (!node.up) return;
    this.stats.crashes++;
    node.crash(this.stats.crashes % 2 === 0);
  }

  restart(node: SimNode): void {
    if (node.up || this.retired.has(node.id)) return;
    node.start(this.rng.derive(`${node.id}#${node.incarnation + 1}`));
  }

  /** A removed node leaves the membership at once and is shut down for good shortly after. */
  retire(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node || this.retired.has(id)) return;
    this.retired.add(id);
    this.queue.after(20, () => node.crash());
    this.trace(`${id} retired`);
  }

  /**
   * With lease reads every node reads on the lease but the first, which reads
   * safe, as during a rolling restart that turns --read-lease on: a lease
   * holds whatever the voters' own option (keepLeaseAfterStart).
   */
  private readsOnLease(id: NodeId): boolean {
    return this.opts.reads === 'lease' && id !== 'n1';
  }

  private raftConfig(id: NodeId, applied: number, random: () => number): RaftConfig {
    return {
      id,
      group: 0,
      electionTick: 10,
      heartbeatTick: 2,
      random,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: 1024,
      maxInflightMsgs: 8,
      maxInflightBytes: 16 * 1024,
      // Small, so that a leader that cannot commit soon refuses proposals.
      maxUncommittedEntriesSize: 4096,
      readOnlyOption: this.readsOnLease(id) ? 'lease' : 'safe',
      // As the coordinator runs it.
      keepLeaseAfterStart: true,
      snapshotChunkSize: 256,
      // As the coordinator runs it.
      lazyCommitBroadcast: true,
      thriftyReadIndex: true,
      applied,
    };
  }

  /**
   * Each node's clock runs up to 4% fast or slow (lease reads assume under
   * 10% apart). While the node is stalled its ticks are lost, as a timer's
   * are, except with lease reads, where they are owed (SimNode.missedTicks).
   */
  private startClock(node: SimNode): void {
    const period = TICK_MS * (0.96 + this.hardwareRng.next() * 0.08);
    const tick = (): void => {
      if (this.retired.has(node.id)) return;
      if (node.pausedUntil <= this.queue.now) node.tick();
      else if (this.readsOnLease(node.id)) node.missedTicks++;
      this.queue.after(period, tick);
    };
    this.queue.after(this.hardwareRng.next() * TICK_MS, tick);
  }

  private send(m: Message): void {
    if (this.opts.bugs.inflateCommit && m.type === 'append' && m.entries.length > 0) {
      const last = m.entries[m.entries.length - 1];
      if (last) m = { ...m, commit: Math.max(m.commit, last.index) };
    }
    const to = this.nodes.get(m.to);
    if (!to?.up || this.network.isBlocked(m.from, m.to)) {
      // A real transport notices a dead connection: tell the sender's core, as a coordinator would.
      const from = this.nodes.get(m.from);
      this.queue.after(this.network.delay(), () => from?.reportUnreachable(m));
    }
    this.network.send(m);
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (!node || !node.up) return;
    node.whenRunning(() => {
      if (this.opts.trace && node.up) this.trace(describeMessage(m));
      node.receive(m);
    });
  }

  private clientSend(to: NodeId, req: ClientRequest, onReply: (r: ClientReply) => void): void {
    const net = this.network;
    if (net.lossy()) return;
    this.queue.after(net.delay(), () => {
      const node = this.nodes.get(to);
      if (!node || !node.up) return;
      const incarnation = node.incarnation;
      node.whenRunning(() => {
        if (node.incarnation !== incarnation) return;
        node.request(req, (reply) => {
          if (net.lossy()) return;
          this.queue.after(net.delay(), () => onReply(reply));
        });
      });
    });
  }

  private onConfChange(by: NodeId, cc: ConfChange, conf: ConfState): void {
    // Every node applies each change; act on the first (it is committed then).
    const key = `${cc.type}:${cc.node}`;
    if (this.confChangesSeen.has(key)) return;
    this.confChangesSeen.add(key);
    this.stats.confChanges++;
    this.trace(
      `${by} applied ${cc.type} ${cc.node}: voters=${conf.voters} learners=${conf.learners}`,
    );
    if (cc.type === 'remove') this.retire(cc.node);
  }
}

function describeMessage(m: Message): string {
  const first = m.entries[0];
  const last = m.entries[m.entries.length - 1];
  const entries = first && last ? ` entries=${first.index}..${last.index}@${last.term}` : '';
  const snap = m.snapshot ? ` snapshot@${m.snapshot.metadata.index}+${m.snapshot.offset}` : '';
  return (
    `  ${m.from}→${m.to} ${m.type} term=${m.term} index=${m.index} logTerm=${m.logTerm} ` +
    `commit=${m.commit}${m.reject ? ` reject hint=${m.rejectHint}` : ''}${entries}${snap}`
  );
}
