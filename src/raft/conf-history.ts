import type { ConfState } from './types.js';

/**
 * Membership over the log since the last snapshot: the snapshot's conf and
 * the conf after each applied change, so a snapshot taken at any applied
 * index records the membership of that index.
 */
export class ConfHistory {
  private changes: { index: number; conf: ConfState }[] = [];

  constructor(
    private base: ConfState,
    private baseIndex: number,
  ) {}

  get initial(): ConfState {
    return this.base;
  }

  /** Whether a change at `index` is already part of the base (a newer snapshot). */
  covers(index: number): boolean {
    return index <= this.baseIndex;
  }

  record(index: number, conf: ConfState): void {
    this.changes.push({ index, conf });
  }

  at(index: number): ConfState {
    let conf = this.base;
    for (const c of this.changes) {
      if (c.index > index) break;
      conf = c.conf;
    }
    return conf;
  }

  /** The log was compacted up to `index`, or replaced by a snapshot there. */
  rebase(index: number, conf: ConfState): void {
    this.base = conf;
    this.baseIndex = index;
    this.changes = this.changes.filter((c) => c.index > index);
  }
}
