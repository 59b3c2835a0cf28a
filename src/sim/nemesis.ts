// The fault injector: at random moments it applies one fault of the run's mix
// — a partition, a crash, a stall, a link change, a membership change or a
// leadership transfer — and undoes the transient ones after a while.

import type { ConfChangeType, NodeId } from '../raft/types.js';
import type { Cluster } from './cluster.js';
import type { FaultAction, FaultMix } from './fault-mixes.js';
import type { Prng } from './prng.js';
import type { SimNode } from './sim-node.js';

/** Voters a removal may leave, at least. */
const MIN_VOTERS = 3;

export class Nemesis {
  private stopped = false;
  private healToken = 0;
  private readonly actions: Array<[FaultAction, number]>;
  private readonly totalWeight: number;
  partitions = 0;
  faults = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly mix: FaultMix,
    private readonly rng: Prng,
  ) {
    this.actions = Object.entries(mix.actions) as Array<[FaultAction, number]>;
    this.totalWeight = this.actions.reduce((s, [, w]) => s + w, 0);
    cluster.network.profile = mix.links[0] ?? cluster.network.profile;
  }

  start(): void {
    if (this.totalWeight > 0) this.schedule();
  }

  /** The run is settling: no more faults, heal everything that can be healed. */
  stop(): void {
    this.stopped = true;
    const c = this.cluster;
    c.network.heal();
    c.network.profile = { minDelay: 1, jitter: 4, loss: 0, duplicate: 0 };
    c.diskDelay = [0, 2];
    for (const node of c.nodes.values()) {
      node.pausedUntil = 0;
      node.slowDiskUntil = 0;
      c.restart(node);
    }
    c.trace('nemesis stopped: network healed, all nodes up');
  }

  private schedule(): void {
    const [lo, hi] = this.mix.interval;
    this.cluster.queue.after(this.rng.range(lo, hi), () => {
      if (this.stopped) return;
      this.act(this.pickAction());
      this.schedule();
    });
  }

  private pickAction(): FaultAction {
    let r = this.rng.next() * this.totalWeight;
    for (const [a, w] of this.actions) {
      r -= w;
      if (r < 0) return a;
    }
    return (this.actions[this.actions.length - 1] as [FaultAction, number])[0];
  }

  private act(action: FaultAction): void {
    const c = this.cluster;
    const rng = this.rng;
    this.faults++;
    switch (action) {
      case 'partition':
        return this.partition();
      case 'heal':
        c.network.heal();
        c.trace('heal');
        return;
      case 'links':
        c.network.profile = rng.pick(this.mix.links);
        c.trace(`links ${JSON.stringify(c.network.profile)}`);
        return;
      case 'crash': {
        const up = [...c.nodes.values()].filter((n) => n.up);
        if (up.length === 0) return;
        const node = rng.pick(up);
        c.crash(node);
        c.queue.after(rng.range(20, 800), () => {
          if (!this.stopped) c.restart(node);
        });
        return;
      }
      case 'pause': {
        const up = [...c.nodes.values()].filter((n) => n.up);
        if (up.length === 0) return;
        const node = rng.pick(up);
        node.pausedUntil = c.queue.now + rng.range(50, 500);
        c.trace(`${node.id} stalled until ${node.pausedUntil}ms`);
        return;
      }
      case 'slow-disk': {
        const up = [...c.nodes.values()].filter((n) => n.up);
        if (up.length === 0) return;
        const node = rng.pick(up);
        node.slowDiskUntil = c.queue.now + rng.range(300, 3000);
        c.trace(`${node.id} disk slow until ${node.slowDiskUntil}ms`);
        return;
      }
      case 'transfer': {
        const leader = c.leader();
        if (!leader) return;
        const others = leader.conf.voters.filter((v) => v !== leader.id);
        if (others.length === 0) return;
        const to = rng.pick(others);
        c.trace(`${leader.id} transfer leadership to ${to}`);
        leader.transferLeader(to);
        return;
      }
      case 'add-learner': {
        const leader = c.leader();
        if (!leader || leader.conf.learners.length > 0) return;
        const joining = c.members().find((id) => !inConf(leader.conf, id));
        const id = joining ?? c.nextSpare();
        if (id === undefined) return;
        if (!c.nodes.has(id)) c.addNode(id);
        proposeConf(c, leader, 'add-learner', id);
        return;
      }
      case 'promote': {
        const leader = c.leader();
        if (!leader || leader.conf.learners.length === 0) return;
        const id = rng.pick(leader.conf.learners);
        proposeConf(c, leader, 'add-voter', id);
        return;
      }
      case 'remove': {
        const leader = c.leader();
        if (!leader) return;
        // A learner may go before it is promoted; voters only down to MIN_VOTERS.
        const candidates = [...leader.conf.learners];
        if (leader.conf.voters.length > MIN_VOTERS) candidates.push(...leader.conf.voters);
        if (candidates.length === 0) return;
        const id = rng.pick(candidates);
        proposeConf(c, leader, 'remove', id);
        return;
      }
    }
  }

  private partition(): void {
    const c = this.cluster;
    const rng = this.rng;
    const ids = shuffle(c.members(), rng);
    const n = ids.length;
    if (n < 2) return;
    const kinds = ['symmetric', 'one-way', 'minority', 'majorities-ring', 'bridge'] as const;
    let kind = rng.pick(kinds);
    // Three nodes in a ring all neighbour each other: the ring is a bridge then.
    if (kind === 'majorities-ring' && n < 4) kind = 'bridge';
    c.network.heal();
    switch (kind) {
      case 'symmetric': {
        const cut = rng.range(1, n - 1);
        c.network.split(ids.slice(0, cut), ids.slice(cut));
        break;
      }
      case 'one-way': {
        const [x] = ids;
        const rest = ids.slice(1);
        const deaf = rng.chance(0.5);
        for (const y of rest) {
          if (deaf) c.network.block(y, x as NodeId);
          else c.network.block(x as NodeId, y);
        }
        break;
      }
      case 'minority': {
        // Isolate the leader (when there is one) on the minority side.
        const leader = c.leader();
        const side = leader ? [leader.id, ...ids.filter((i) => i !== leader.id)] : ids;
        const size = rng.range(1, Math.max(1, Math.floor((n - 1) / 2)));
        c.network.split(side.slice(0, size), side.slice(size));
        break;
      }
      case 'majorities-ring': {
        // Each node sees its ring neighbours only: with 5, everyone sees a
        // majority, but no two agree which.
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const d = Math.min(j - i, n - (j - i));
            if (d > 1) c.network.split([ids[i] as NodeId], [ids[j] as NodeId]);
          }
        }
        break;
      }
      case 'bridge': {
        // Two halves that only one node in the middle connects.
        const [bridge, ...rest] = ids;
        const half = Math.ceil(rest.length / 2);
        c.network.split(rest.slice(0, half), rest.slice(half));
        c.trace(`bridge node ${bridge ?? '-'}`);
        break;
      }
    }
    this.partitions++;
    c.trace(`partition ${kind}: ${c.network.describe()}`);
    const token = ++this.healToken;
    c.queue.after(rng.range(200, 2000), () => {
      if (this.stopped || token !== this.healToken) return;
      c.network.heal();
      c.trace('partition healed');
    });
  }
}

function proposeConf(c: Cluster, leader: SimNode, type: ConfChangeType, id: NodeId): void {
  const ok = leader.proposeConfChange({ type, node: id, context: new Uint8Array() });
  c.trace(`${leader.id} propose ${type} ${id}: ${ok ? 'accepted' : 'refused'}`);
}

function inConf(conf: { voters: NodeId[]; learners: NodeId[] }, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

function shuffle<T>(items: T[], rng: Prng): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
