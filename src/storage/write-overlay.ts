// The writes of one commit, held in memory while its requests run, layered
// over the committed database: a request reads what earlier requests of the
// same commit wrote. At the end the whole overlay is handed to LMDB in one
// batch (one transaction, one fsync). Reads that miss the overlay go to the
// committed state, which is current because one commit runs at a time.

import type { Database } from 'lmdb';

export type BinaryDb = Database<Buffer, Buffer>;

/** A Buffer view of `b` (no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

interface PendingWrite {
  db: BinaryDb;
  key: Buffer;
  /** null: delete. */
  value: Buffer | null;
}

export class WriteOverlay {
  private readonly pending = new Map<string, PendingWrite>();
  private readonly dbIds = new Map<BinaryDb, string>();
  /** Writes issued only at flush, after the others, and invisible to get/has. */
  private readonly bulk: Array<() => void> = [];

  constructor(dbs: readonly BinaryDb[]) {
    dbs.forEach((db, i) => this.dbIds.set(db, String.fromCharCode(65 + i)));
  }

  get size(): number {
    return this.pending.size + this.bulk.length;
  }

  /**
   * Writes too many to index (an image install's pairs): `write` issues
   * them straight to LMDB at flush, after every other write. Nothing in the
   * commit may read what they write, which is why an install is committed
   * alone.
   */
  later(write: () => void): void {
    this.bulk.push(write);
  }

  /** The value as this commit sees it, or null when absent. */
  get(db: BinaryDb, key: Buffer): Buffer | null {
    const w = this.pending.get(this.id(db, key));
    if (w) return w.value;
    return db.getBinary(key) ?? null;
  }

  has(db: BinaryDb, key: Buffer): boolean {
    const w = this.pending.get(this.id(db, key));
    if (w) return w.value !== null;
    return db.doesExist(key);
  }

  put(db: BinaryDb, key: Buffer, value: Buffer): void {
    this.pending.set(this.id(db, key), { db, key, value });
  }

  remove(db: BinaryDb, key: Buffer): void {
    this.pending.set(this.id(db, key), { db, key, value: null });
  }

  /** Keys of `db` starting with `prefix` that this commit has written so far (put or deleted). */
  pendingKeys(db: BinaryDb, prefix: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const w of this.pending.values()) {
      if (
        w.db === db &&
        w.key.length >= prefix.length &&
        prefix.equals(w.key.subarray(0, prefix.length))
      ) {
        out.push(w.key);
      }
    }
    return out;
  }

  /** Issues every write to LMDB; call inside one `batch` so they share a transaction. */
  flush(): void {
    for (const w of this.pending.values()) {
      if (w.value === null) void w.db.remove(w.key);
      else void w.db.put(w.key, w.value);
    }
    for (const write of this.bulk) write();
  }

  private id(db: BinaryDb, key: Buffer): string {
    return (this.dbIds.get(db) as string) + key.toString('latin1');
  }
}
