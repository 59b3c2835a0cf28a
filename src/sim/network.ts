// The simulated network between nodes: every message is delivered after a
// random delay (so messages reorder), or lost, or duplicated, unless a
// partition blocks its direction when it arrives.

import type { Message, NodeId } from '../raft/types.js';
import type { EventQueue } from './event-queue.js';
import type { Prng } from './prng.js';

export interface LinkProfile {
  /** Minimum one-way delay, virtual ms. */
  minDelay: number;
  /** Extra random delay on top, virtual ms: larger means more reordering. */
  jitter: number;
  loss: number;
  duplicate: number;
  /** Chance that a message straggles, arriving up to STRAGGLE_MS late (old terms, stale answers). */
  straggle?: number;
}

const STRAGGLE_MS = 2000;

export const QUIET_LINKS: LinkProfile = { minDelay: 1, jitter: 4, loss: 0, duplicate: 0 };

export class Network {
  profile: LinkProfile = QUIET_LINKS;
  /** "from>to" pairs that cannot currently carry a message. */
  private blocked = new Set<string>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Prng,
    private readonly deliver: (m: Message) => void,
  ) {}

  send(m: Message): void {
    this.sent++;
    const p = this.profile;
    if (this.rng.chance(p.loss)) return;
    const copies = this.rng.chance(p.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const late = this.rng.chance(p.straggle ?? 0) ? this.rng.int(STRAGGLE_MS) : 0;
      this.queue.after(p.minDelay + this.rng.int(p.jitter + 1) + late, () => {
        if (this.blocked.has(`${m.from}>${m.to}`)) return;
        this.delivered++;
        this.deliver(m);
      });
    }
  }

  /** A random delay for traffic outside the cluster (clients), same profile. */
  delay(): number {
    return this.profile.minDelay + this.rng.int(this.profile.jitter + 1);
  }

  lossy(): boolean {
    return this.rng.chance(this.profile.loss);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between the two groups, both ways. */
  split(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  describe(): string {
    return [...this.blocked].sort().join(' ');
  }
}
