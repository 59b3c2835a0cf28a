// A node's fake durable disk. A write (one Ready's hard state, entries,
// snapshot pieces and snapshot) becomes durable only when the simulated fsync
// completes; a crash before that loses it, exactly like a power cut. A
// snapshot from the leader is staged here piece by piece as it arrives, as
// the storage engine stages it, and installed from what was staged: the core
// hands out its metadata only.

import type {
  ConfState,
  Entry,
  HardState,
  IncomingSnapshotStep,
  PersistedState,
  Snapshot,
  SnapshotMetadata,
} from '../raft/types.js';

export interface DiskWrite {
  hardState: HardState | null;
  entries: Entry[];
  incomingSnapshot: IncomingSnapshotStep[];
  snapshot: SnapshotMetadata | null;
}

/** A snapshot being received: the pieces staged so far. */
export interface StagedSnapshot {
  metadata: SnapshotMetadata;
  total: number;
  pieces: Uint8Array[];
  bytes: number;
}

export class FakeDisk {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  snapshot: Snapshot | null = null;
  /** Contiguous entries after the snapshot. */
  entries: Entry[] = [];
  /** Survives a crash, as the engine's staging area does; the next transfer starts it over. */
  staged: StagedSnapshot | null = null;
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
    for (const step of w.incomingSnapshot) this.stage(step);
    if (w.snapshot) this.installSnapshot(this.takeStaged(w.snapshot));
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

  /** Stages a piece (it must follow what is staged: a piece at 0 starts over), or drops them. */
  private stage(step: IncomingSnapshotStep): void {
    if (step.type === 'drop') {
      this.staged = null;
      return;
    }
    const { metadata, offset, total, data } = step.chunk;
    if (offset === 0) this.staged = { metadata, total, pieces: [], bytes: 0 };
    const s = this.staged;
    if (s === null || s.bytes !== offset || s.metadata.index !== metadata.index) {
      throw new Error(
        `disk: snapshot ${metadata.index} piece at ${offset} does not follow what is staged (${s === null ? 'nothing' : `${s.bytes} bytes of snapshot ${s.metadata.index}`})`,
      );
    }
    s.pieces.push(data.slice());
    s.bytes += data.length;
  }

  /** The staged snapshot, whole, which must be the one with this metadata. */
  private takeStaged(metadata: SnapshotMetadata): Snapshot {
    const s = this.staged;
    if (
      s === null ||
      s.metadata.index !== metadata.index ||
      s.metadata.term !== metadata.term ||
      s.bytes !== s.total
    ) {
      throw new Error(
        `disk: installing snapshot ${metadata.index} with ${s === null ? 'nothing' : `${s.bytes} of ${s.total} bytes of snapshot ${s.metadata.index}`} staged`,
      );
    }
    this.staged = null;
    const data = new Uint8Array(s.total);
    let at = 0;
    for (const p of s.pieces) {
      data.set(p, at);
      at += p.length;
    }
    return { metadata, data };
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
