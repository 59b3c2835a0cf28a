import { invariant } from './invariant.js';
import type { Entry, LogSnapshot, PersistedState, SnapshotMetadata } from './types.js';

/**
 * The replicated log as this node holds it: the last snapshot's (index, term)
 * and every entry after it, in memory (like etcd's MemoryStorage + unstable).
 *
 *   snapshotIndex < applied ≤ applying ≤ committed ≤ lastIndex
 *   stabled: entries ≤ stabled were handed to the application to persist.
 */
export class RaftLog {
  private snapshotIndex: number;
  private snapshotTerm: number;
  /** ents[i].index === snapshotIndex + 1 + i */
  private ents: Entry[];
  committed: number;
  /** Applied and acknowledged by advance(). */
  applied: number;
  /** Handed to the application to apply (≥ applied). */
  applying: number;
  stabled: number;
  /** The latest snapshot: what a far-behind follower is sent (data null: the application holds it). */
  snapshot: LogSnapshot | null;
  /** A snapshot received from the leader (the application staged its data), not yet handed out. */
  pendingSnapshot: SnapshotMetadata | null = null;

  constructor(persisted: PersistedState, applied: number) {
    const snap = persisted.snapshot;
    this.snapshot = snap;
    this.snapshotIndex = snap?.metadata.index ?? 0;
    this.snapshotTerm = snap?.metadata.term ?? 0;
    this.ents = [];
    const bad = (why: string): never => {
      throw new Error(`invalid persisted raft state: ${why}`);
    };
    let expect = this.snapshotIndex + 1;
    let prevTerm = this.snapshotTerm;
    for (const e of persisted.entries) {
      if (e.index !== expect) bad(`entry index ${e.index} where ${expect} was expected`);
      if (e.term < prevTerm) bad(`entry ${e.index} has term ${e.term} below its predecessor's`);
      prevTerm = e.term;
      expect++;
      this.ents.push(e);
    }
    const last = this.lastIndex();
    const commit = persisted.hardState.commit;
    if (commit < this.snapshotIndex || commit > last) {
      bad(
        `commit ${commit} outside the log [${this.snapshotIndex}, ${last}] (lost or truncated log?)`,
      );
    }
    if (applied < this.snapshotIndex || applied > commit) {
      bad(`applied ${applied} outside [snapshot index ${this.snapshotIndex}, commit ${commit}]`);
    }
    if (prevTerm > persisted.hardState.term) {
      bad(`last log term ${prevTerm} above hard state term ${persisted.hardState.term}`);
    }
    this.committed = commit;
    this.applied = applied;
    this.applying = applied;
    this.stabled = last;
  }

  /** Where the log stands, for invariant reports. */
  private state(): Record<string, number> {
    return {
      snapshotIndex: this.snapshotIndex,
      snapshotTerm: this.snapshotTerm,
      firstIndex: this.firstIndex(),
      lastIndex: this.lastIndex(),
      committed: this.committed,
      applied: this.applied,
      applying: this.applying,
      stabled: this.stabled,
    };
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.ents.length;
  }

  lastTerm(): number {
    return this.ents.length === 0
      ? this.snapshotTerm
      : (this.ents[this.ents.length - 1]?.term ?? 0);
  }

  /** Term of entry `i`, or undefined when compacted away or beyond the end. */
  term(i: number): number | undefined {
    if (i === this.snapshotIndex) return this.snapshotTerm;
    if (i < this.snapshotIndex || i > this.lastIndex()) return undefined;
    return this.ents[i - this.snapshotIndex - 1]?.term;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Election restriction (§5.4.1): is a log ending at (index, term) at least as new as ours? */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /**
   * Fast backtracking: the largest index ≤ `index` whose term is ≤ `term`
   * (entries after it cannot match a log whose entry there has `term`).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex()); i >= this.snapshotIndex; i--) {
      const t = this.term(i) ?? 0;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.snapshotIndex, term: 0 };
  }

  /**
   * Follower side of append: if our log holds (prevIndex, prevTerm), make it
   * agree with `entries` and learn `commit`; returns the new last index
   * covered by the message, or null when the logs do not match there.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: Entry[],
  ): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry;
      invariant(e.index === prevIndex + 1 + k, 'append message entries are not contiguous', () => ({
        prevIndex,
        position: k,
        index: e.index,
      }));
      if (!this.matchTerm(e.index, e.term)) {
        this.append(entries.slice(k));
        break;
      }
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries, truncating a conflicting uncommitted suffix first. */
  append(entries: Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index - 1;
    invariant(after >= this.committed, 'truncating committed entries', () => ({
      ...this.state(),
      appendAfter: after,
    }));
    invariant(after <= this.lastIndex(), 'appending with a gap after the last entry', () => ({
      ...this.state(),
      appendAfter: after,
    }));
    if (after < this.lastIndex()) {
      this.ents.length = after - this.snapshotIndex;
      this.stabled = Math.min(this.stabled, after);
    }
    let prevTerm = this.lastTerm();
    let expect = after + 1;
    for (const e of entries) {
      invariant(
        e.index === expect && e.term >= prevTerm,
        'appended entries not contiguous',
        () => ({
          ...this.state(),
          entry: { index: e.index, term: e.term },
          expectedIndex: expect,
          prevTerm,
        }),
      );
      this.ents.push(e);
      prevTerm = e.term;
      expect++;
    }
  }

  /** Entries in [lo, hi] totalling at most maxBytes of payload (always at least one). */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    invariant(lo > this.snapshotIndex && hi <= this.lastIndex(), 'slice outside the log', () => ({
      ...this.state(),
      lo,
      hi,
    }));
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= hi; i++) {
      const e = this.ents[i - this.snapshotIndex - 1] as Entry;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    invariant(i <= this.lastIndex(), 'commit beyond the last index', () => ({
      ...this.state(),
      commitTo: i,
    }));
    this.committed = i;
  }

  /** Entries not yet handed to the application to persist. */
  unstableEntries(): Entry[] {
    const last = this.lastIndex();
    return this.stabled >= last ? [] : this.slice(this.stabled + 1, last);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applying, this.pendingSnapshot?.index ?? 0);
  }

  /** Committed entries not yet handed to the application to apply, up to maxBytes of payload. */
  nextCommittedEntries(maxBytes: number): Entry[] {
    const lo = Math.max(this.applying, this.pendingSnapshot?.index ?? 0) + 1;
    return lo > this.committed ? [] : this.slice(lo, this.committed, maxBytes);
  }

  /**
   * Replaces the whole log with a snapshot received from the leader. Its data
   * is the application's (staged as it arrived): a leader asks for it when a
   * follower needs it (snapshotWanted).
   */
  restore(metadata: SnapshotMetadata): void {
    const { index, term } = metadata;
    invariant(index > this.committed, 'restoring a snapshot at or below commit', () => ({
      ...this.state(),
      snapshotIndex: index,
    }));
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.ents = [];
    this.committed = index;
    this.stabled = index;
    this.snapshot = { metadata, data: null };
    this.pendingSnapshot = metadata;
  }

  /** The application's snapshot at `snapshot.metadata.index` (≤ applied): drop the log before it. */
  compact(snapshot: LogSnapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.snapshotIndex) return;
    const term = this.term(index) as number;
    this.ents = this.ents.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.snapshot = snapshot;
  }
}
