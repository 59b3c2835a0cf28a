// SCAN cursors. Clients (redis-cli among them) parse a cursor as an unsigned
// 64-bit number, but a scan position is a key of up to max-key-size bytes, so
// the position cannot live in the cursor itself. The node remembers where
// each cursor resumes. A cursor is derived from its key by a hash, so it is
// stable (the same position always gives the same cursor) and opaque. The
// table is bounded; the least recently used cursors are forgotten and then
// answered with an error that says to start again.

import { createHash } from 'node:crypto';

const MASK_63 = (1n << 63n) - 1n;

export class ScanCursors {
  /** cursor → key to resume from; a Map iterates in insertion order, which gives LRU order. */
  private readonly byCursor = new Map<string, Uint8Array>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byCursor.size;
  }

  /** The cursor that resumes a scan at `key` (inclusive). */
  save(key: Uint8Array): string {
    const digest = createHash('sha256').update(key).digest();
    const n = digest.readBigUInt64BE(0) & MASK_63;
    const cursor = (n === 0n ? 1n : n).toString();
    this.byCursor.delete(cursor);
    this.byCursor.set(cursor, Uint8Array.from(key));
    while (this.byCursor.size > this.max) {
      const oldest = this.byCursor.keys().next().value as string;
      this.byCursor.delete(oldest);
    }
    return cursor;
  }

  /** The key a cursor resumes at, or null if this node does not know it (any more). */
  resume(cursor: string): Uint8Array | null {
    const key = this.byCursor.get(cursor);
    if (key === undefined) return null;
    this.byCursor.delete(cursor);
    this.byCursor.set(cursor, key);
    return key;
  }
}
