// Leader: which followers are being caught up, so that a compaction due
// meanwhile waits (RaftDriver.snapshotDue). A compaction replaces the stored
// snapshot being sent (the transfer starts over) and drops the log a
// follower goes on from once it installed it (it needs another): under
// writes, a transfer longer than the compaction interval started over for
// ever. A follower that is gone must not hold compactions for long, but
// Raft's recentActive cannot tell gone from busy: it is cleared at every
// check-quorum round (an election timeout) and set by the next message, so
// right after a round a follower that answers every heartbeat looks gone,
// and one installing a snapshot answers nothing until it is done. Hence
// what was seen over time, noted at every tick.

import type { NodeId, ProgressStatus } from '../../raft/types.js';

export class CatchUpWatch {
  /** When each follower was last seen recently active. */
  private readonly heard = new Map<NodeId, number>();
  /** When each follower was last seen being sent a snapshot. */
  private readonly sending = new Map<NodeId, number>();

  /**
   * `roundMs`: a check-quorum round (electionTick ticks); `installMs`: how
   * long after its transfer a follower may be silent installing it.
   */
  constructor(
    private readonly self: NodeId,
    private readonly roundMs: number,
    private readonly installMs: number,
  ) {}

  /** At every tick on a leader. */
  observe(progress: Readonly<Record<NodeId, ProgressStatus>>, now: number): void {
    for (const [id, pr] of Object.entries(progress)) {
      if (pr.recentActive) this.heard.set(id, now);
      if (pr.state === 'snapshot') this.sending.set(id, now);
    }
  }

  /**
   * Whether a follower is being sent the snapshot, or lacks entries up to
   * `submitted` (the applied index) that it was not sent (it installed a
   * snapshot, or restarted) and is not gone: heard from within the last
   * round, or being sent a snapshot within the last installMs. Being sent
   * one needs no such check: Raft gives a transfer up after an election
   * timeout without an answer (tendSnapshotSend); the follower may then
   * still be installing it, hence installMs.
   */
  catchingUp(
    progress: Readonly<Record<NodeId, ProgressStatus>>,
    submitted: number,
    now: number,
  ): boolean {
    for (const [id, pr] of Object.entries(progress)) {
      if (id === this.self) continue;
      if (pr.state === 'snapshot') return true;
      if (pr.next > submitted) continue;
      if (pr.recentActive || now - (this.heard.get(id) ?? -Infinity) < this.roundMs) return true;
      if (now - (this.sending.get(id) ?? -Infinity) < this.installMs) return true;
    }
    return false;
  }
}
