// The leader's proposals waiting for their outcome, by log index, each with a
// deadline; one DeadlineTimer serves them all.

import type { KvResult, Proposal } from '../../kv/types.js';
import { DeadlineTimer } from './deadline-timer.js';
import { OutcomeUnknownError } from './replication-errors.js';

export interface PendingProposal {
  term: number;
  /** What was proposed (null: a membership change), so its entry need not be decoded again. */
  proposal: Proposal | null;
  resolve(r: KvResult): void;
  reject(e: Error): void;
}

interface Entry extends PendingProposal {
  /** Date.now() after which it fails as unknown. */
  deadline: number;
  timeoutMs: number;
}

export class PendingProposals {
  private readonly byIndex = new Map<number, Entry>();
  private readonly timer = new DeadlineTimer((now) => this.expire(now));

  /**
   * The outcome of the entry proposed at `index` in `term`. An entry waiting
   * there already fails: our log holds another one at its index now, and the
   * old one may still be committed by another leader that holds it.
   */
  add(
    index: number,
    term: number,
    proposal: Proposal | null,
    timeoutMs: number,
  ): Promise<KvResult> {
    this.byIndex
      .get(index)
      ?.reject(new OutcomeUnknownError('its log slot was taken over by a newer leader'));
    const deadline = Date.now() + timeoutMs;
    this.timer.arm(deadline);
    return new Promise((resolve, reject) => {
      this.byIndex.set(index, { term, proposal, resolve, reject, deadline, timeoutMs });
    });
  }

  peek(index: number): PendingProposal | undefined {
    return this.byIndex.get(index);
  }

  /** Removes and returns the proposal at `index`, if one waits there. */
  take(index: number): PendingProposal | undefined {
    const p = this.byIndex.get(index);
    if (p === undefined) return undefined;
    this.byIndex.delete(index);
    // Nothing left to time out: no timer keeps the process alive.
    if (this.byIndex.size === 0) this.timer.disarm();
    return p;
  }

  /** Fails (and removes) every proposal at or below `through` (all by default). */
  rejectThrough(err: Error, through = Infinity): void {
    for (const [i, p] of this.byIndex) {
      if (i > through) continue;
      this.byIndex.delete(i);
      p.reject(err);
    }
    if (this.byIndex.size === 0) this.timer.disarm();
  }

  private expire(now: number): number {
    let next = Infinity;
    for (const [i, p] of this.byIndex) {
      if (p.deadline <= now) {
        this.byIndex.delete(i);
        p.reject(new OutcomeUnknownError(`not applied within ${p.timeoutMs} ms`));
      } else if (p.deadline < next) next = p.deadline;
    }
    return next;
  }
}
