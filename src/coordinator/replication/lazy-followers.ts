// Leader: which followers get their appends lazily. A write commits once a
// quorum holds it, and with three voters the leader and one follower (its
// partner) are that quorum: the other follower's appends may wait a few ms
// and leave together. It then wakes, and its engine writes, once per wait
// instead of once per batch; on a machine where a wake-up costs ~100 µs of
// CPU that saved a third of that follower's CPU, a tenth or more of a put's
// (docs/performance-log.md, lever 25). Nothing waits for a lazy follower
// unless a partner fails, and then no longer than the wait.
//
// Chosen at every tick (RaftDriver.tick), from the Raft status:
// - a follower keeps up if it is replicating and holds every entry the
//   leader had at the previous tick;
// - partners (the followers a quorum needs besides the leader) stay while
//   they keep up; the places of those that do not go to followers that do,
//   the most advanced first;
// - every other voter that keeps up is lazy, unless its own clients read:
//   a follower's linearizable read waits for its log to reach the read index,
//   so one that asked for a read index within READER_MS is not lazy (reading);
//   nor is the target of a leadership transfer;
// - a learner is never lazy: it is promoted once within PROMOTE_MAX_LAG
//   entries of the commit index (membership.ts), which under load a wait of
//   15 ms would keep it from.

import type { NodeId, RaftStatus } from '../../raft/types.js';

/** How long after its last read index request a follower is not lazy. */
export const READER_MS = 1000;

const NONE: ReadonlySet<NodeId> = new Set();

export class LazyFollowers {
  private partners = new Set<NodeId>();
  private lazy: ReadonlySet<NodeId> = NONE;
  /** The leader's last index at the previous tick; 0 before the first. */
  private lastIndexBefore = 0;
  /** When each follower last asked for a read index (Date.now()). */
  private readonly readers = new Map<NodeId, number>();

  constructor(private readonly self: NodeId) {}

  get current(): ReadonlySet<NodeId> {
    return this.lazy;
  }

  /**
   * At a tick on the leader: the followers to make lazy, or null when that
   * is unchanged.
   */
  observe(status: RaftStatus, now: number): ReadonlySet<NodeId> | null {
    const progress = status.progress;
    if (progress === null) return this.reset();
    const before = this.lastIndexBefore;
    this.lastIndexBefore = status.lastIndex;
    const keepsUp = (id: NodeId): boolean => {
      const pr = progress[id];
      return pr !== undefined && pr.state === 'replicate' && pr.match >= before;
    };
    const { voters } = status.conf;
    const others = voters.filter((id) => id !== this.self);
    const need = Math.floor(voters.length / 2) + 1 - (others.length < voters.length ? 1 : 0);
    if (before === 0) return this.set(NONE);
    const able = others.filter(keepsUp);
    const partners = new Set([...this.partners].filter((id) => able.includes(id)));
    const candidates = able
      .filter((id) => !partners.has(id))
      .sort((a, b) => (progress[b]?.match ?? 0) - (progress[a]?.match ?? 0));
    for (const id of candidates) {
      if (partners.size >= need) break;
      partners.add(id);
    }
    this.partners = partners;
    for (const [id, at] of this.readers) if (now - at >= READER_MS) this.readers.delete(id);
    const lazy = new Set<NodeId>();
    for (const id of able) {
      if (!partners.has(id) && !this.readers.has(id) && id !== status.leadTransferee) lazy.add(id);
    }
    return this.set(lazy);
  }

  /** A follower asked for a read index: the new lazy set if it was lazy, else null. */
  reading(id: NodeId, now: number): ReadonlySet<NodeId> | null {
    this.readers.set(id, now);
    if (!this.lazy.has(id)) return null;
    return this.set(new Set([...this.lazy].filter((x) => x !== id)));
  }

  /** No longer (or newly) leader: nobody is lazy; the new set, or null if none was. */
  reset(): ReadonlySet<NodeId> | null {
    this.partners = new Set();
    this.lastIndexBefore = 0;
    this.readers.clear();
    return this.set(NONE);
  }

  private set(lazy: ReadonlySet<NodeId>): ReadonlySet<NodeId> | null {
    const same = lazy.size === this.lazy.size && [...lazy].every((id) => this.lazy.has(id));
    if (same) return null;
    this.lazy = lazy;
    return lazy;
  }
}
