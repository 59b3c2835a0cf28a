// The writes of one commit, held in memory while its requests run, layered
// over the committed database: a request reads what earlier requests of the
// same commit wrote. At the end the whole overlay is handed to LMDB in one
// batch (one transaction, one fsync). While that commit is in flight, the
// next overlay is staged on top of it (`below`): reads that miss an overlay
// go to the one below, then to the committed state. Commits finish in order,
// so once the one below is committed it is unlinked (its writes are in LMDB).

import type { Database } from 'lmdb';
import { STORAGE_MAX_KEY_BYTES } from './api.js';
import { GROUP_PREFIX_BYTES } from './lmdb-layout.js';
import { StagedWrites, keyHash } from './staged-writes.js';

/** lmdb-js's key limit (at the default page size). */
const LMDB_MAX_KEY_BYTES = STORAGE_MAX_KEY_BYTES + GROUP_PREFIX_BYTES;

export type BinaryDb = Database<Buffer, Buffer>;

/** A Buffer view of `b` (no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export class WriteOverlay {
  /** pending[i]: the writes to dbs[i]; a db is found by identity among the few there are. */
  private readonly pending: StagedWrites[];
  /** Writes issued only at flush, before the others, and invisible to get/has. */
  private readonly bulk: Array<() => void> = [];
  /** Settles when this overlay's commit has committed (or failed). */
  readonly committed: Promise<void>;
  private settle!: (err: Error | null) => void;

  constructor(
    private readonly dbs: readonly BinaryDb[],
    /** The overlay whose commit is in flight, until it is committed. */
    public below: WriteOverlay | null = null,
  ) {
    this.pending = dbs.map(() => new StagedWrites());
    this.committed = new Promise((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    this.committed.catch(() => undefined); // waiters see the rejection; nobody must
  }

  /** Its commit is done (err: it failed, nothing of it was written). */
  finished(err: Error | null): void {
    this.settle(err);
  }

  get size(): number {
    let n = this.bulk.length;
    for (const writes of this.pending) n += writes.size;
    return n;
  }

  /** Bytes held for the writes of this commit (a bulk write's are not counted). */
  get bytes(): number {
    let n = 0;
    for (const writes of this.pending) n += writes.bytes;
    return n;
  }

  /**
   * Writes too many to index (an image install's pairs): `write` issues
   * them straight to LMDB at flush, before every other write, inside one
   * synchronous LMDB transaction (`hasBulk`), so it may read the committed
   * state through it (the staged image, which the other writes then delete)
   * and its writes go into the transaction as they are made instead of into
   * lmdb-js's queue. Nothing in the commit, or staged on top of it, may read
   * what they write, which is why an install is committed alone and nothing
   * is staged over it.
   */
  later(write: () => void): void {
    this.bulk.push(write);
  }

  /** Bulk writes must run in a synchronous transaction (see `later`). */
  get hasBulk(): boolean {
    return this.bulk.length > 0;
  }

  /** The value as this commit sees it (a copy), or null when absent. */
  get(db: BinaryDb, key: Buffer): Buffer | null {
    return this.valueIn(this.index(db), key, keyHash(key), db);
  }

  has(db: BinaryDb, key: Buffer): boolean {
    return this.hasIn(this.index(db), key, keyHash(key), db);
  }

  put(db: BinaryDb, key: Buffer, value: Buffer): void {
    this.set(db, key, value);
  }

  remove(db: BinaryDb, key: Buffer): void {
    this.set(db, key, null);
  }

  /** Keys of `db` starting with `prefix` that this commit, or the one below, has written (put or deleted). */
  pendingKeys(db: BinaryDb, prefix: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.pending[this.index(db)]!.forEach((key) => {
      if (key.length >= prefix.length && prefix.equals(key.subarray(0, prefix.length))) {
        out.push(Buffer.from(key));
      }
    });
    return this.below ? out.concat(this.below.pendingKeys(db, prefix)) : out;
  }

  /**
   * Issues every write to LMDB; call inside one `batch` (or, with bulk
   * writes, one `transactionSync`) so they share a transaction.
   */
  flush(): void {
    // lmdb-js refuses an oversized key by throwing after it has queued the
    // writes before it, and the next batch would commit those: refuse first.
    for (const writes of this.pending) {
      if (writes.longestKey > LMDB_MAX_KEY_BYTES) {
        throw new Error(
          `a ${writes.longestKey}-byte key is over LMDB's ${LMDB_MAX_KEY_BYTES}-byte limit: nothing of this commit was written`,
        );
      }
    }
    for (const write of this.bulk) write();
    this.pending.forEach((writes, i) => {
      const db = this.dbs[i] as BinaryDb;
      writes.forEach((key, value) => {
        if (value === null) void db.remove(key);
        else void db.put(key, value);
      });
    });
  }

  private set(db: BinaryDb, key: Buffer, value: Buffer | null): void {
    this.pending[this.index(db)]!.set(key, keyHash(key), value);
  }

  private valueIn(i: number, key: Buffer, hash: number, db: BinaryDb): Buffer | null {
    const rec = this.pending[i]!.find(key, hash);
    if (rec >= 0) return this.pending[i]!.value(rec);
    return this.below ? this.below.valueIn(i, key, hash, db) : (db.getBinary(key) ?? null);
  }

  private hasIn(i: number, key: Buffer, hash: number, db: BinaryDb): boolean {
    const rec = this.pending[i]!.find(key, hash);
    if (rec >= 0) return !this.pending[i]!.deletes(rec);
    return this.below ? this.below.hasIn(i, key, hash, db) : db.doesExist(key);
  }

  private index(db: BinaryDb): number {
    const i = this.dbs.indexOf(db);
    if (i < 0) throw new Error('a write to a database this overlay was not made for');
    return i;
  }
}
