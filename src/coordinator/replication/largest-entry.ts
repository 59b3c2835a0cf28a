// The largest entry (data bytes) in this node's Raft log since its last
// snapshot: what a node that joins may be sent as one entry (before it, it
// gets a snapshot, which the engine takes in frame-sized pieces). Kept as
// the entries whose size no later entry reaches, so appending and compacting
// are amortised O(1). A follower's log may lose a suffix to its leader's
// entries; those stay counted until the next compaction (an overestimate
// refuses a join too early, never too late).

import type { Entry } from '../../raft/types.js';

export class LargestEntry {
  /** (index, bytes), bytes falling (indexes rising, but for a replaced suffix). */
  private readonly kept: Array<{ index: number; bytes: number }> = [];

  appended(entries: readonly Entry[]): void {
    for (const e of entries) {
      const bytes = e.data.length;
      while (this.kept.length > 0 && this.kept[this.kept.length - 1]!.bytes <= bytes) {
        this.kept.pop();
      }
      this.kept.push({ index: e.index, bytes });
    }
  }

  /** The log up to `index` was compacted away. */
  compacted(index: number): void {
    let drop = 0;
    while (drop < this.kept.length && this.kept[drop]!.index <= index) drop++;
    this.kept.splice(0, drop);
  }

  /** A snapshot replaced the whole log. */
  clear(): void {
    this.kept.length = 0;
  }

  get bytes(): number {
    return this.kept[0]?.bytes ?? 0;
  }
}
