// Reading a group's state image out of LMDB in chunks. The reader holds an
// LMDB read transaction (lmdb-js `useReadTransaction`): every chunk comes
// from the same snapshot of the store however many commits happen between
// two chunks, so the pieces join into one consistent image. While it is
// open LMDB cannot reuse the pages that later commits free (the file may
// grow), which is why the engine bounds how long and how many stay open.

import type { RootDatabase } from 'lmdb';
import type { GroupId } from './api.js';
import type { ImageReader } from './backend.js';
import { ByteWriter } from './frame-codec.js';
import {
  GROUP_PREFIX_BYTES,
  META_APPLIED_INDEX,
  META_SESSION,
  dataEnd,
  dataKey,
  readU64,
  sessionClientId,
  taggedKey,
} from './lmdb-layout.js';
import { ITEM_END, ITEM_PAIR, ITEM_SESSION, imageHeader } from './state-image.js';
import type { BinaryDb } from './write-overlay.js';

type ReadTxn = ReturnType<RootDatabase['useReadTransaction']>;

const EMPTY = Buffer.alloc(0);

export class LmdbImageReader implements ImageReader {
  readonly appliedIndex: number;
  private readonly txn: ReadTxn;
  private phase: 'header' | 'pairs' | 'sessions' | 'done' = 'header';
  /** Where the current phase resumes. */
  private from: Buffer;
  private closed = false;

  constructor(
    root: RootDatabase<Buffer, Buffer>,
    private readonly data: BinaryDb,
    private readonly meta: BinaryDb,
    private readonly group: GroupId,
    /** The group's keys, counted by the caller in the same committed state. */
    readonly keys: number,
  ) {
    this.txn = root.useReadTransaction();
    const opts = { transaction: this.txn };
    const applied = meta.get(taggedKey(group, META_APPLIED_INDEX), opts);
    this.appliedIndex = applied ? readU64(applied, 0) : 0;
    this.from = dataKey(group, EMPTY);
  }

  next(maxBytes: number): { chunk: Buffer; last: boolean } {
    if (this.closed) throw new Error('image reader is closed');
    const w = new ByteWriter(Math.min(maxBytes, 1 << 20) + 64);
    if (this.phase === 'header') {
      w.raw(imageHeader(this.appliedIndex));
      this.phase = 'pairs';
    }
    if (this.phase === 'pairs') {
      const end = dataEnd(this.group);
      const full = this.copy(w, maxBytes, this.data, end, ITEM_PAIR, (k) =>
        k.subarray(GROUP_PREFIX_BYTES),
      );
      if (full) return { chunk: w.bytesWritten(), last: false };
      this.phase = 'sessions';
      this.from = taggedKey(this.group, META_SESSION);
    }
    if (this.phase === 'sessions') {
      const end = taggedKey(this.group, META_SESSION + 1);
      const full = this.copy(w, maxBytes, this.meta, end, ITEM_SESSION, (k) =>
        Buffer.from(sessionClientId(k), 'utf8'),
      );
      if (full) return { chunk: w.bytesWritten(), last: false };
      w.u8(ITEM_END);
      this.phase = 'done';
      this.close();
    }
    return { chunk: w.bytesWritten(), last: true };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.txn.done();
  }

  /** Items of one phase until the chunk is full (true) or the phase ends (false). */
  private copy(
    w: ByteWriter,
    maxBytes: number,
    db: BinaryDb,
    end: Buffer | null,
    tag: number,
    name: (key: Buffer) => Buffer,
  ): boolean {
    const range = db.getRange(
      end
        ? { start: this.from, end, transaction: this.txn }
        : { start: this.from, transaction: this.txn },
    );
    for (const { key, value } of range) {
      const item = name(key);
      const size = 9 + item.length + value.length;
      // Always at least one item per chunk, so a large one still goes out.
      if (w.length > 0 && w.length + size > maxBytes) {
        this.from = Buffer.from(key);
        return true;
      }
      w.u8(tag).bytes(item).bytes(value);
    }
    // The phase is over: the next one sets its own start.
    return false;
  }
}
