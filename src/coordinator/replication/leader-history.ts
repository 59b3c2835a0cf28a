// The last few changes of leader this node saw, with when and in which term,
// for the dashboard and /status. Bounded: old entries fall off.

import type { NodeId } from '../../raft/types.js';

export interface LeaderChange {
  /** Milliseconds since the epoch when this node learned of it. */
  at: number;
  term: number;
  /** The new leader; null when this node lost track of any leader (election, partition). */
  leader: NodeId | null;
}

/** How many changes are kept. */
export const LEADER_HISTORY_SIZE = 20;

export class LeaderHistory {
  private readonly changes: LeaderChange[] = [];

  /**
   * Records `leader` unless it is the one already known (a role change alone
   * is no leader change). `term` null: unknown (the Raft state is reloading),
   * the last known term stands.
   */
  note(leader: NodeId | null, term: number | null, at = Date.now()): void {
    const last = this.changes[this.changes.length - 1];
    // Before any leader is known, "no leader" is no change.
    if (last === undefined ? leader === null : last.leader === leader) return;
    this.changes.push({ at, term: term ?? last?.term ?? 0, leader });
    if (this.changes.length > LEADER_HISTORY_SIZE) this.changes.shift();
  }

  /** Newest first. */
  recent(): LeaderChange[] {
    return this.changes.slice().reverse();
  }
}
