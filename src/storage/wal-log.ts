// One group's Raft log as the write-ahead log tracks it: where it begins and
// ends, and the hard state. The same operations serve live requests (after
// `check*` refused what would break the log) and the replay of the log's
// records, so both reach the same state. The live log keeps only the bounds
// (the coordinator's Raft core holds the entries; reads replay the files);
// a log replayed for a read keeps the entries too.

import type { RaftLogEntry } from './api.js';
import { WriteConflictError, type RaftLogBounds } from './backend.js';

/** Refuses entries whose indexes do not follow each other. */
export function checkConsecutive(entries: readonly RaftLogEntry[]): void {
  const head = entries[0];
  for (let i = 1; i < entries.length; i++) {
    if ((entries[i] as RaftLogEntry).index !== (head as RaftLogEntry).index + i) {
      throw new WriteConflictError('raft append: entries must have consecutive indexes');
    }
  }
}

export class WalLog {
  /** Index of the first entry; when empty, the index the next append may start at. */
  first = 1;
  /** Index of the last entry; first - 1 when empty. */
  last = 0;
  hardState: Buffer | null = null;
  /** The entries from `first` to `last`, or null when only the bounds are kept. */
  private entries: RaftLogEntry[] | null;

  constructor(keepEntries: boolean) {
    this.entries = keepEntries ? [] : null;
  }

  get empty(): boolean {
    return this.last < this.first;
  }

  bounds(): RaftLogBounds {
    return { firstIndex: this.first, lastIndex: this.last };
  }

  /** Refuses an append of `count` entries from `first` that would leave a gap or write before the first (compacted) entry. */
  checkAppend(first: number, count: number): void {
    if (count === 0 || this.empty) return; // an empty log accepts any index
    if (first > this.last + 1) {
      throw new WriteConflictError(
        `raft append at index ${first} would leave a gap: the log ends at ${this.last}`,
      );
    }
    if (first < this.first) {
      throw new WriteConflictError(
        `raft append at index ${first} is before the log's first index ${this.first} (compacted)`,
      );
    }
  }

  /**
   * Raft's append of `count` entries from `first`: every entry at or after
   * the first new index is replaced. On replay the log may begin later than
   * an entry (its older segments were compacted away): the entries then
   * start the log. A log that keeps its entries must be given them.
   */
  append(first: number, count: number, entries: readonly RaftLogEntry[] | null): void {
    if (count === 0) return;
    if (this.entries && entries === null) throw new Error('this log keeps its entries: pass them');
    if (this.empty || first < this.first) {
      this.first = first;
      if (this.entries) this.entries = [];
    } else if (first > this.last + 1) {
      throw new Error(`entries at ${first} leave a gap after ${this.last}`);
    } else if (this.entries) {
      this.entries.length = first - this.first;
    }
    this.last = first + count - 1;
    if (this.entries && entries) for (const e of entries) this.entries.push(e);
  }

  /** Drops every entry >= fromIndex. */
  truncate(fromIndex: number): void {
    const from = Math.max(fromIndex, this.first);
    if (from > this.last) return;
    this.last = from - 1;
    if (this.entries) this.entries.length = from - this.first;
  }

  /** Drops every entry <= throughIndex; past the end, the log is empty and next takes throughIndex + 1. */
  compact(throughIndex: number): void {
    if (throughIndex < this.first) return;
    if (this.entries) {
      this.entries =
        throughIndex >= this.last ? [] : this.entries.slice(throughIndex + 1 - this.first);
    }
    this.first = throughIndex + 1;
    this.last = Math.max(this.last, throughIndex);
  }

  reset(nextIndex: number): void {
    if (this.entries) this.entries = [];
    this.first = nextIndex;
    this.last = nextIndex - 1;
  }

  /** Entries with lo <= index < hi, stopping after maxBytes (always at least one); only on a log that keeps them. */
  read(lo: number, hi: number, maxBytes: number): RaftLogEntry[] {
    const entries = this.entries;
    if (entries === null) throw new Error('this log keeps only its bounds');
    const out: RaftLogEntry[] = [];
    let bytes = 0;
    for (let i = Math.max(lo, this.first); i < Math.min(hi, this.last + 1); i++) {
      const e = entries[i - this.first] as RaftLogEntry;
      if (out.length > 0 && bytes + e.data.byteLength > maxBytes) break;
      out.push(e);
      bytes += e.data.byteLength;
    }
    return out;
  }
}
