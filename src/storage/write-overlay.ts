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

/** lmdb-js's key limit (at the default page size). */
const LMDB_MAX_KEY_BYTES = STORAGE_MAX_KEY_BYTES + GROUP_PREFIX_BYTES;

export type BinaryDb = Database<Buffer, Buffer>;

/** A Buffer view of `b` (no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

interface PendingWrite {
  key: Buffer;
  /** null: delete. */
  value: Buffer | null;
}

/** One database's writes, by key (its bytes as a latin1 string: one string per key, no copy of the db's name in it). */
type Writes = Map<string, PendingWrite>;

export class WriteOverlay {
  /** pending[i]: the writes to dbs[i]; a db is found by identity among the few there are. */
  private readonly pending: Writes[];
  /** Key and value bytes of `pending` (what this overlay holds for its commit). */
  private heldBytes = 0;
  /** Writes issued only at flush, after the others, and invisible to get/has. */
  private readonly bulk: Array<() => void> = [];
  /** Settles when this overlay's commit has committed (or failed). */
  readonly committed: Promise<void>;
  private settle!: (err: Error | null) => void;

  constructor(
    private readonly dbs: readonly BinaryDb[],
    /** The overlay whose commit is in flight, until it is committed. */
    public below: WriteOverlay | null = null,
  ) {
    this.pending = dbs.map(() => new Map());
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

  /** Key and value bytes of the writes held for this commit (a bulk write's are not counted). */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Writes too many to index (an image install's pairs): `write` issues
   * them straight to LMDB at flush, after every other write. Nothing in the
   * commit, or staged on top of it, may read what they write, which is why
   * an install is committed alone and nothing is staged over it.
   */
  later(write: () => void): void {
    this.bulk.push(write);
  }

  /** The value as this commit sees it, or null when absent. */
  get(db: BinaryDb, key: Buffer): Buffer | null {
    const w = this.find(db, key);
    if (w) return w.value;
    return db.getBinary(key) ?? null;
  }

  has(db: BinaryDb, key: Buffer): boolean {
    const w = this.find(db, key);
    if (w) return w.value !== null;
    return db.doesExist(key);
  }

  put(db: BinaryDb, key: Buffer, value: Buffer): void {
    this.set(db, key, value);
  }

  /** Puts, and tells whether the key had a value before (one lookup for both). */
  replace(db: BinaryDb, key: Buffer, value: Buffer): boolean {
    const i = this.index(db);
    const k = key.toString('latin1');
    const own = this.pending[i]!.get(k);
    const w = own ?? this.below?.findIn(i, k);
    this.setIn(i, k, own, key, value);
    return w ? w.value !== null : db.doesExist(key);
  }

  remove(db: BinaryDb, key: Buffer): void {
    this.set(db, key, null);
  }

  /** Keys of `db` starting with `prefix` that this commit, or the one below, has written (put or deleted). */
  pendingKeys(db: BinaryDb, prefix: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const i = this.index(db);
    for (const o of this.chain()) {
      for (const w of o.pending[i]!.values()) {
        if (w.key.length >= prefix.length && prefix.equals(w.key.subarray(0, prefix.length))) {
          out.push(w.key);
        }
      }
    }
    return out;
  }

  /** Issues every write to LMDB; call inside one `batch` so they share a transaction. */
  flush(): void {
    // lmdb-js refuses an oversized key by throwing after it has queued the
    // writes before it, and the next batch would commit those: refuse first.
    for (const writes of this.pending) {
      for (const w of writes.values()) {
        if (w.key.length > LMDB_MAX_KEY_BYTES) {
          throw new Error(
            `a ${w.key.length}-byte key is over LMDB's ${LMDB_MAX_KEY_BYTES}-byte limit: nothing of this commit was written`,
          );
        }
      }
    }
    this.pending.forEach((writes, i) => {
      const db = this.dbs[i] as BinaryDb;
      for (const w of writes.values()) {
        if (w.value === null) void db.remove(w.key);
        else void db.put(w.key, w.value);
      }
    });
    for (const write of this.bulk) write();
  }

  private set(db: BinaryDb, key: Buffer, value: Buffer | null): void {
    const i = this.index(db);
    const k = key.toString('latin1');
    this.setIn(i, k, this.pending[i]!.get(k), key, value);
  }

  /** Records a write of `key`, over `own`: this overlay's earlier write of it, if any (updated in place). */
  private setIn(
    i: number,
    k: string,
    own: PendingWrite | undefined,
    key: Buffer,
    value: Buffer | null,
  ): void {
    this.heldBytes += value?.length ?? 0;
    if (own !== undefined) {
      this.heldBytes -= own.value?.length ?? 0;
      own.value = value;
      return;
    }
    this.heldBytes += key.length;
    this.pending[i]!.set(k, { key, value });
  }

  private find(db: BinaryDb, key: Buffer): PendingWrite | undefined {
    return this.findIn(this.index(db), key.toString('latin1'));
  }

  private findIn(i: number, k: string): PendingWrite | undefined {
    const w = this.pending[i]!.get(k);
    if (w !== undefined || this.below === null) return w;
    return this.below.findIn(i, k);
  }

  /** This overlay and the ones below it, newest first. */
  private chain(): WriteOverlay[] {
    return this.below === null ? [this] : [this, ...this.below.chain()];
  }

  private index(db: BinaryDb): number {
    const i = this.dbs.indexOf(db);
    if (i < 0) throw new Error('a write to a database this overlay was not made for');
    return i;
  }
}
