// Reconnect delays: exponential, capped, with jitter so that nodes that lost
// a peer at the same moment do not all redial it in lockstep.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Fraction of the delay that jitter may remove: a delay lies in (base/2, base]. */
const JITTER = 0.5;

/** The delay before retry number `attempt` (0 = first retry); `r` is uniform in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, r: number): number {
  // 2^attempt overflows to Infinity long after it passes any cap; min() handles it.
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
  return Math.max(1, Math.round(base * (1 - JITTER * r)));
}

/** Counts failed attempts since the last success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number,
  ) {}

  /** Failed attempts since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.policy, this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
