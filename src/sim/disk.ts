// A node's fake durable disk. A write (one Ready's hard state, entries and
// snapshot) becomes durable only when the simulated fsync completes; a crash
// before that loses it, exactly like a power cut.

import type { ConfState, Entry, HardState, PersistedState, Snapshot } from '../raft/types.js';

export interface DiskWrite {
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
}

export class FakeDisk {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  snapshot: Snapshot | null = null;
  /** Contiguous entries after the snapshot. */
  entries: Entry[] = [];
  writes = 0;

  constructor(readonly initialConf: ConfState) {}

  get firstIndex(): number {
    return (this.snapshot?.metadata.index ?? 0) + 1;
  }

  get lastIndex(): number {
    const last = this.entries[this.entries.length - 1];
    return last ? last.index : (this.snapshot?.metadata.index ?? 0);
  }

  /** Term of the entry at `index`, or undefined when it is not on disk. */
  term(index: number): number | undefined {
    const snap = this.snapshot?.metadata;
    if (snap && index === snap.index) return snap.term;
    if (index === 0) return 0;
    return this.entries[index - this.firstIndex]?.term;
  }

  write(w: DiskWrite): void {
    this.writes++;
    if (w.snapshot) this.installSnapshot(w.snapshot);
    if (w.entries.length > 0) this.append(w.entries);
    if (w.hardState) this.hardState = { ...w.hardState };
  }

  /** The application compacted its log at `snap.metadata.index`: keep the tail only. */
  installSnapshot(snap: Snapshot): void {
    const at = snap.metadata.index;
    if (this.snapshot && this.snapshot.metadata.index >= at) return;
    const keepsTail = this.term(at) === snap.metadata.term;
    this.entries = keepsTail ? this.entries.filter((e) => e.index > at) : [];
    this.snapshot = snap;
  }

  private append(entries: Entry[]): void {
    const first = entries[0] as Entry;
    if (first.index > this.lastIndex + 1) {
      throw new Error(
        `disk: append at ${first.index} leaves a gap after last index ${this.lastIndex}`,
      );
    }
    // Entries the snapshot already covers are not stored again.
    const from = this.firstIndex;
    const kept = this.entries.slice(0, Math.max(0, first.index - from));
    for (const e of entries) if (e.index >= from) kept.push(e);
    this.entries = kept;
  }

  restore(): PersistedState {
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot,
      entries: this.entries.slice(),
      initialConf: this.initialConf,
    };
  }
}
