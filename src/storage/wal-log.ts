// One group's Raft log as the write-ahead log holds it in memory: the
// entries from `first` on, and the hard state. The same operations serve
// live requests (after `check*` refused what would break the log) and the
// replay of the log's records at start, so both reach the same state.

import type { RaftLogEntry } from './api.js';
import { WriteConflictError, type RaftLogBounds } from './backend.js';

export class WalLog {
  /** Index of entries[0]; when empty, the index the next append may start at. */
  first = 1;
  entries: RaftLogEntry[] = [];
  hardState: Buffer | null = null;

  get last(): number {
    return this.first + this.entries.length - 1;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  bounds(): RaftLogBounds {
    return { firstIndex: this.first, lastIndex: this.last };
  }

  /** Refuses an append that would leave a gap or write before the first (compacted) entry. */
  checkAppend(entries: readonly RaftLogEntry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as RaftLogEntry).index !== head.index + i) {
        throw new WriteConflictError('raft append: entries must have consecutive indexes');
      }
    }
    if (this.empty) return; // an empty log accepts any index
    if (head.index > this.last + 1) {
      throw new WriteConflictError(
        `raft append at index ${head.index} would leave a gap: the log ends at ${this.last}`,
      );
    }
    if (head.index < this.first) {
      throw new WriteConflictError(
        `raft append at index ${head.index} is before the log's first index ${this.first} (compacted)`,
      );
    }
  }

  /**
   * Raft's append: every entry at or after the first new index is replaced.
   * On replay the log may begin later than an entry (its older segments were
   * compacted away): the entries then start the log.
   */
  append(entries: readonly RaftLogEntry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    if (this.empty || head.index < this.first) {
      this.first = head.index;
      this.entries = [];
    } else if (head.index > this.last + 1) {
      throw new Error(`entries at ${head.index} leave a gap after ${this.last}`);
    } else {
      this.entries.length = head.index - this.first;
    }
    for (const e of entries) this.entries.push(e);
  }

  /** Drops every entry >= fromIndex. */
  truncate(fromIndex: number): void {
    const from = Math.max(fromIndex, this.first);
    if (from <= this.last) this.entries.length = from - this.first;
  }

  /** Drops every entry <= throughIndex; past the end, the log is empty and next takes throughIndex + 1. */
  compact(throughIndex: number): void {
    if (throughIndex < this.first) return;
    if (throughIndex >= this.last) this.entries = [];
    else this.entries = this.entries.slice(throughIndex + 1 - this.first);
    this.first = throughIndex + 1;
  }

  reset(nextIndex: number): void {
    this.entries = [];
    this.first = nextIndex;
  }

  /** Entries with lo <= index < hi, stopping after maxBytes (always at least one). */
  read(lo: number, hi: number, maxBytes: number): RaftLogEntry[] {
    const out: RaftLogEntry[] = [];
    let bytes = 0;
    for (let i = Math.max(lo, this.first); i < Math.min(hi, this.last + 1); i++) {
      const e = this.entries[i - this.first] as RaftLogEntry;
      if (out.length > 0 && bytes + e.data.byteLength > maxBytes) break;
      out.push(e);
      bytes += e.data.byteLength;
    }
    return out;
  }
}
