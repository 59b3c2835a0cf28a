import type { NodeId } from './types.js';

/** The current configuration, as the lease counts it (the progress tracker). */
export interface Voters {
  isVoter(id: NodeId): boolean;
  quorum(): number;
}

/**
 * The leader's read lease, measured in its own ticks. Every heartbeat round
 * is numbered; when a quorum of voters answered round k, no other leader can
 * be elected until those voters' election timeouts run out after they got
 * it, so the lease runs from the tick round k was *sent* for a little less
 * than an election timeout. The margin covers tick phase (2 ticks) and
 * clocks that run up to 10% apart.
 */
export class LeaderLease {
  private round = 0;
  private readonly rounds = new Map<number, { sentAt: number; acks: Set<NodeId> }>();
  private confirmedAt = -Infinity;
  /** Set by a leadership transfer: no lease for the rest of the term (revoke). */
  private revoked = false;
  readonly duration: number;

  constructor(electionTick: number) {
    this.duration = Math.max(0, electionTick - 2 - Math.floor(electionTick / 10));
  }

  /** Starts a heartbeat round at tick `now`; returns its number for the heartbeats. */
  startRound(now: number, self: NodeId): number {
    this.round++;
    this.rounds.set(this.round, { sentAt: now, acks: new Set([self]) });
    // Rounds too old to extend the lease can be forgotten.
    for (const [k, r] of this.rounds) if (now - r.sentAt >= this.duration) this.rounds.delete(k);
    return this.round;
  }

  /**
   * A voter answered heartbeat round `round`; a quorum of the voters now
   * confirms the lease from its send time. Only answers of current voters
   * count: one removed since it answered promised nothing to the new
   * configuration's quorum.
   */
  ack(round: number, from: NodeId, voters: Voters): void {
    const r = this.rounds.get(round);
    if (r === undefined) return;
    r.acks.add(from);
    let n = 0;
    for (const id of r.acks) if (voters.isVoter(id)) n++;
    if (n < voters.quorum()) return;
    this.confirmedAt = Math.max(this.confirmedAt, r.sentAt);
    for (const k of this.rounds.keys()) if (k <= round) this.rounds.delete(k);
  }

  valid(now: number): boolean {
    return !this.revoked && now - this.confirmedAt < this.duration;
  }

  /**
   * A transfer began: its `timeout-now` makes the target campaign past the
   * voters' leases, and a copy the network delays may do so after the
   * transfer was abandoned, so the lease stays off until the term ends
   * (reset).
   */
  revoke(): void {
    this.revoked = true;
  }

  reset(): void {
    this.rounds.clear();
    this.confirmedAt = -Infinity;
    this.revoked = false;
  }
}
