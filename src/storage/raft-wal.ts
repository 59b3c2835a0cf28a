// The Raft log and hard state of every group, in an append-only write-ahead
// log per group (segment files, wal-segment.ts; records, wal-record.ts),
// separate from LMDB: an append costs one sequential O_DSYNC write instead
// of an LMDB commit (two fsyncs plus every B-tree page it dirtied).
//
// Only each group's bounds and hard state are held in memory (wal-log.ts):
// the entries are in the coordinator's Raft core, and read back from the
// files when asked (raft load, at start). A request is checked and applied
// to the bounds at once, its records are queued, and it is answered when
// they are durable. Group
// commit: the first request on an idle log starts a write a microtask later
// (after the rest of the requests read from the same socket chunk); requests
// that arrive during a write wait in the socket and all go into the next
// one. One write per group per batch; each is durable when it returns
// (O_DSYNC). The write runs on the event loop (writevSync): the engine waits
// for the disk meanwhile, but handing each write to libuv's thread pool (a
// thread woken, the completion posted back) cost more, in CPU and in
// latency, than that wait (docs/performance-log.md, lever 11).
//
// A segment is rolled when the next write would take it past segmentBytes.
// Each segment starts with a header, the hard state and the log's first
// index, so a compaction can delete whole older segments (those whose
// entries are all compacted) and the rest still replays to the same log.
//
// At open every segment is read and its records checked (CRC-32C). A bad
// record in the last segment may be a write torn by a crash: nothing from it
// on was acknowledged, so it is cut off (and the rest zeroed) and logged.
// But only the last write can be torn, and one write is at most
// maxWriteBytes (or one larger record): a well-formed record reaching
// further than that past the bad one was acknowledged, and so is any bad
// record in an older segment. Then opening fails, naming the file and offset.

import { closeSync, readFileSync, readdirSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RaftLogEntry } from './api.js';
import type { PackedEntries, RaftLogBounds } from './backend.js';
import { ShuttingDownError } from './group-commit.js';
import { WalLog, checkConsecutive } from './wal-log.js';
import {
  BadRecordError,
  RECORD_HEADER_BYTES,
  compactRecord,
  findRecordReaching,
  entriesRecord,
  packedEntriesRecord,
  hardStateRecord,
  headerRecord,
  readRecord,
  resetRecord,
  truncateRecord,
} from './wal-record.js';
import {
  WAL_MAX_WRITE_BYTES,
  WAL_SEGMENT_BYTES,
  installSegment,
  listSegments,
  makeDirDurable,
  openForAppend,
  prepareSegment,
  segmentPath,
  writeFullySync,
  writeSegmentSync,
} from './wal-segment.js';

export interface RaftWalOptions {
  segmentBytes?: number;
  /** Bytes one write may hold (default WAL_MAX_WRITE_BYTES); must be the same when reopened. */
  maxWriteBytes?: number;
  /** Preallocate segments with zeros (default true). */
  preallocate?: boolean;
  log?: Logger;
  /**
   * Called once when a write fails (disk full, I/O error): every later log
   * request fails until the engine restarts and replays what is durable.
   */
  onFailed?: (err: Error) => void;
}

/** The log's files cannot be trusted: a person must look (the message names the file and offset). */
export class WalCorruptError extends Error {
  override name = 'WalCorruptError';
}

interface Segment {
  seq: number;
  path: string;
  /** Highest entry index written in it (0: none). */
  maxIndex: number;
  /** Its size on disk (preallocated or written, whichever is larger). */
  fileBytes: number;
}

interface GroupWal {
  group: number;
  dir: string;
  /** The log's bounds and hard state, queued requests included. */
  log: WalLog;
  /** The log read back from the files for a read in pages, while the files stay as they were then. */
  readBack: { seq: number; size: number; log: WalLog } | null;
  segments: Segment[];
  /** The last segment, open for appending; null until the group's first write. */
  fd: number | null;
  /** Bytes written to the last segment. */
  size: number;
  /** Records queued for the next write, and the highest entry index among them. */
  queued: Buffer[];
  queuedBytes: number;
  queuedMax: number;
  /** The next segment, being preallocated. */
  next: Promise<string> | null;
  /** Bytes of that next segment once it is fully preallocated (0 before). */
  nextBytes: number;
}

interface Batch {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // every caller awaits it; this only silences the unawaited copy
  return { promise, resolve, reject };
}

const DONE = Promise.resolve();

/** What the log has written since it opened, every group. */
export interface WalCounters {
  /** Durable writes: one writev each (O_DSYNC), or a migrated group's first segment. */
  writes: number;
  writtenBytes: number;
}

export class RaftWal {
  readonly counters: WalCounters = { writes: 0, writtenBytes: 0 };
  private readonly groups = new Map<number, GroupWal>();
  /** Requests queued for the next write; null when none are. */
  private queuedBatch: Batch | null = null;
  /** The write under way. */
  private writing: Batch | null = null;
  private failed: Error | null = null;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly maxWriteBytes: number;
  private readonly preallocate: boolean;
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly opts: RaftWalOptions = {},
  ) {
    this.root = join(dataDir, 'wal');
    this.segmentBytes = opts.segmentBytes ?? WAL_SEGMENT_BYTES;
    this.maxWriteBytes = opts.maxWriteBytes ?? WAL_MAX_WRITE_BYTES;
    this.preallocate = opts.preallocate ?? true;
    makeDirDurable(this.root);
    for (const name of readdirSync(this.root)) {
      if (!/^\d+$/.test(name)) continue;
      const g = this.replay(Number(name), join(this.root, name));
      if (g) this.groups.set(Number(name), g);
    }
  }

  /** Whether the group has a log on disk (or queued). */
  has(group: number): boolean {
    return this.groups.has(group);
  }

  bounds(group: number): RaftLogBounds {
    return this.groups.get(group)?.log.bounds() ?? { firstIndex: 1, lastIndex: 0 };
  }

  hardState(group: number): Buffer | null {
    return this.groups.get(group)?.log.hardState ?? null;
  }

  /** The groups that have a log. */
  groupIds(): number[] {
    return [...this.groups.keys()];
  }

  /**
   * The largest entry with lo <= index < hi (null: none), read back from the
   * files; the replay is kept for a log read that follows (raft load).
   */
  largestEntry(group: number, lo: number, hi: number): { index: number; bytes: number } | null {
    const g = this.groups.get(group);
    if (g === undefined || lo >= hi) return null;
    let largest: { index: number; bytes: number } | null = null;
    for (const e of this.readBack(g).read(lo, hi, Infinity)) {
      if (largest === null || e.data.byteLength > largest.bytes) {
        largest = { index: e.index, bytes: e.data.byteLength };
      }
    }
    return largest;
  }

  /**
   * Entries with lo <= index < hi, read back from the segment files: what
   * is durable when asked (callers wait for synced() first). A log read in
   * pages (raft load) is replayed once: the replay is kept until a page
   * reaches the log's end or the group's next write.
   */
  entries(group: number, lo: number, hi: number, maxBytes: number): RaftLogEntry[] {
    const g = this.groups.get(group);
    if (g === undefined) return [];
    const log = this.readBack(g);
    const out = log.read(lo, hi, maxBytes);
    if ((out[out.length - 1]?.index ?? log.last) >= log.last) g.readBack = null;
    return out;
  }

  /**
   * Bytes the log's files take on disk, every group's segments and prepared
   * next segments included (their zeros are allocated): kept up to date as
   * files are written, created and deleted, so asking costs no system call.
   */
  diskBytes(): number {
    let bytes = 0;
    for (const g of this.groups.values()) {
      bytes += g.nextBytes;
      for (const s of g.segments) bytes += s.fileBytes;
    }
    return bytes;
  }

  /** Appends (replacing every entry at or after the first new index) and sets the hard state. */
  append(
    group: number,
    entries: readonly RaftLogEntry[] | PackedEntries,
    hardState: Uint8Array | null,
  ): Promise<void> {
    const packed = isPacked(entries) ? entries : null;
    const list = isPacked(entries) ? null : entries;
    const first = packed ? packed.first : (list?.[0]?.index ?? 0);
    const count = packed ? packed.count : (list?.length ?? 0);
    let g: GroupWal;
    try {
      g = this.group(group);
      if (list) checkConsecutive(list);
      g.log.checkAppend(first, count);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (count > 0) {
      this.queue(g, packed ? packedEntriesRecord(packed) : entriesRecord(list ?? []));
      g.log.append(first, count, list);
      g.queuedMax = Math.max(g.queuedMax, g.log.last);
    }
    if (hardState) {
      const record = hardStateRecord(hardState);
      this.queue(g, record);
      g.log.hardState = record.subarray(RECORD_HEADER_BYTES); // the payload, without copying it again
    }
    return this.synced();
  }

  truncate(group: number, fromIndex: number): Promise<void> {
    let g: GroupWal;
    try {
      g = this.group(group);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    g.log.truncate(fromIndex);
    this.queue(g, truncateRecord(fromIndex));
    return this.synced();
  }

  /**
   * Drops entries <= throughIndex, then deletes the older segments that
   * held only such entries. The caller has made the snapshot covering them
   * durable first.
   */
  async compact(group: number, throughIndex: number): Promise<void> {
    const g = this.group(group);
    g.log.compact(throughIndex);
    this.queue(g, compactRecord(throughIndex));
    await this.synced();
    while (g.segments.length > 1 && (g.segments[0] as Segment).maxIndex <= throughIndex) {
      unlinkSync((g.segments.shift() as Segment).path);
    }
  }

  /** Empties the log; the next entry is nextIndex (after a snapshot was installed). */
  async reset(group: number, nextIndex: number): Promise<void> {
    const g = this.group(group);
    g.log.reset(nextIndex);
    this.queue(g, resetRecord(nextIndex));
    await this.synced();
    // The last segment holds the reset, or (rolled since) a head that restates it.
    while (g.segments.length > 1) unlinkSync((g.segments.shift() as Segment).path);
  }

  /** Resolves once everything queued so far is durable. */
  synced(): Promise<void> {
    if (this.failed) return Promise.reject(this.failedError());
    return (this.queuedBatch ?? this.writing)?.promise ?? DONE;
  }

  /**
   * Writes a whole log for a group that has none (moving it out of LMDB),
   * synchronously: at open, before anything is served.
   */
  importSync(group: number, entries: RaftLogEntry[], hardState: Buffer | null): void {
    if (this.groups.has(group)) throw new Error(`group ${group} already has a write-ahead log`);
    const g = this.group(group);
    const records = [headerRecord(group, 1)];
    if (entries.length > 0) records.push(entriesRecord(entries));
    if (hardState) records.push(hardStateRecord(hardState));
    const prealloc = this.preallocate ? this.segmentBytes : 0;
    const next = writeSegmentSync(g.dir, records, prealloc);
    const path = installSegment(g.dir, 1, next.path);
    const size = next.written;
    this.counters.writes++;
    this.counters.writtenBytes += size;
    g.log.append(entries[0]?.index ?? 0, entries.length, entries);
    g.log.hardState = hardState;
    g.segments.push({ seq: 1, path, maxIndex: g.log.last, fileBytes: Math.max(size, prealloc) });
    g.fd = openForAppend(path);
    g.size = size;
  }

  /** Waits for queued writes, then closes the files. */
  async close(): Promise<void> {
    this.closed = true;
    await this.synced().catch(() => undefined);
    for (const g of this.groups.values()) {
      if (g.fd !== null) closeSync(g.fd);
      g.fd = null;
      await g.next?.catch(() => undefined);
    }
  }

  /** After a failed write: what was queued meanwhile fails too. */
  private dropQueued(): void {
    const queued = this.queuedBatch;
    this.queuedBatch = null;
    queued?.reject(this.failedError());
  }

  private failedError(): Error {
    return new Error(
      `the Raft write-ahead log failed (${(this.failed as Error).message}); restart the storage engine`,
    );
  }

  private group(group: number): GroupWal {
    if (this.failed) throw this.failedError();
    if (this.closed) throw new ShuttingDownError('the storage engine is shutting down');
    let g = this.groups.get(group);
    if (g === undefined) {
      g = emptyGroup(group, join(this.root, String(group)));
      makeDirDurable(g.dir);
      this.groups.set(group, g);
    }
    return g;
  }

  private queue(g: GroupWal, record: Buffer): void {
    g.queued.push(record);
    g.queuedBytes += record.length;
    if (this.queuedBatch === null) {
      this.queuedBatch = newBatch();
      if (this.writing === null) queueMicrotask(() => void this.write());
    }
  }

  /** Writes everything queued (one write per group), then what was queued meanwhile. */
  private async write(): Promise<void> {
    while (this.queuedBatch !== null && this.writing === null) {
      const batch = (this.writing = this.queuedBatch);
      this.queuedBatch = null;
      const writes: Array<Promise<void>> = [];
      for (const [group, g] of this.groups) {
        if (g.queued.length > 0) writes.push(this.writeGroup(group, g));
      }
      try {
        await Promise.all(writes);
        batch.resolve();
      } catch (err) {
        const first = this.failed === null;
        this.failed ??= err as Error;
        this.opts.log?.error({ err }, 'a write to the Raft write-ahead log failed');
        batch.reject(this.failedError());
        this.dropQueued();
        if (first) this.opts.onFailed?.(this.failed);
      }
      this.writing = null;
    }
  }

  private async writeGroup(group: number, g: GroupWal): Promise<void> {
    const records = g.queued;
    const bytes = g.queuedBytes;
    const maxIndex = g.queuedMax;
    g.queued = [];
    g.queuedBytes = 0;
    g.queuedMax = 0;
    if (g.fd === null || (g.size > 0 && g.size + bytes > this.segmentBytes))
      await this.roll(group, g);
    if (g.size === 0) records.unshift(...this.segmentHead(group, g));
    // One after the other, each durable before the next starts: only the last can be torn.
    for (const run of writeRuns(records, this.maxWriteBytes)) this.writeRun(g, run);
    const seg = g.segments[g.segments.length - 1] as Segment;
    seg.maxIndex = Math.max(seg.maxIndex, maxIndex);
    seg.fileBytes = Math.max(seg.fileBytes, g.size);
    this.prepareNext(group, g);
  }

  private writeRun(g: GroupWal, records: Buffer[]): void {
    const written = writevSync(g.fd as number, records, g.size);
    let total = 0;
    for (const r of records) total += r.length;
    if (written !== total)
      throw new Error(`short write to the write-ahead log: ${written} of ${total} bytes`);
    g.size += total;
    g.readBack = null;
    this.counters.writes++;
    this.counters.writtenBytes += total;
  }

  /** What a segment starts with: a header, the hard state and where the log begins. */
  private segmentHead(group: number, g: GroupWal): Buffer[] {
    const seg = g.segments[g.segments.length - 1] as Segment;
    const head = [headerRecord(group, seg.seq)];
    if (g.log.hardState) head.push(hardStateRecord(g.log.hardState));
    head.push(g.log.empty ? resetRecord(g.log.first) : compactRecord(g.log.first - 1));
    return head;
  }

  private async roll(group: number, g: GroupWal): Promise<void> {
    const seq = (g.segments[g.segments.length - 1]?.seq ?? 0) + 1;
    let prepared: string | null = null;
    if (this.preallocate) prepared = await (g.next ?? prepareSegment(g.dir, this.segmentBytes));
    g.next = null;
    g.nextBytes = 0;
    const path = installSegment(g.dir, seq, prepared);
    if (g.fd !== null) closeSync(g.fd);
    g.fd = openForAppend(path);
    g.size = 0;
    g.segments.push({ seq, path, maxIndex: 0, fileBytes: prepared ? this.segmentBytes : 0 });
  }

  /** Starts preallocating the next segment once the last one is half full (not at start, beside the first's own). */
  private prepareNext(group: number, g: GroupWal): void {
    if (!this.preallocate || g.next !== null || g.size < this.segmentBytes / 2) return;
    const next = (g.next = prepareSegment(g.dir, this.segmentBytes));
    next.then(
      () => {
        if (g.next === next) g.nextBytes = this.segmentBytes;
      },
      (err: unknown) =>
        this.opts.log?.warn({ err, group }, 'preallocating the next WAL segment failed'),
    );
  }

  /** Reads a group's segments back at open; null if it has none. */
  private replay(group: number, dir: string): GroupWal | null {
    const seqs = listSegments(dir);
    if (seqs.length === 0) return null;
    const g = emptyGroup(group, dir);
    for (const [i, seq] of seqs.entries()) {
      const path = segmentPath(dir, seq);
      const buf = readFileSync(path);
      const last = i === seqs.length - 1;
      const { end, bad, maxIndex } = replaySegment(buf, group, seq, g.log);
      if (bad !== null && !last) {
        throw new WalCorruptError(
          `write-ahead log segment ${path} is corrupt at offset ${end}: ${bad}. It is not the last segment, ` +
            'so acknowledged Raft log entries would be lost: refusing to start. Restore this node from a backup, ' +
            'or remove its data dir and let it rejoin from the others',
        );
      }
      if (last) this.cutTail(path, buf, end, bad);
      g.segments.push({ seq, path, maxIndex, fileBytes: buf.length });
      g.size = end;
    }
    g.fd = openForAppend((g.segments[g.segments.length - 1] as Segment).path);
    return g;
  }

  /** The group's log with its entries, replayed from what is written of its segments. */
  private readBack(g: GroupWal): WalLog {
    const lastSeg = g.segments[g.segments.length - 1];
    if (lastSeg === undefined) return new WalLog(true);
    if (g.readBack?.seq === lastSeg.seq && g.readBack.size === g.size) return g.readBack.log;
    const log = new WalLog(true);
    for (const seg of g.segments) {
      let buf = readFileSync(seg.path);
      if (seg === lastSeg) buf = buf.subarray(0, g.size); // a write may be under way after it
      const { end, bad } = replaySegment(buf, g.group, seg.seq, log);
      if (bad !== null) {
        throw new WalCorruptError(
          `write-ahead log segment ${seg.path} is corrupt at offset ${end}: ${bad}. It read well when the ` +
            'storage engine started, so the disk has damaged it since. Restore this node from a backup, ' +
            'or remove its data dir and let it rejoin from the others',
        );
      }
    }
    g.readBack = { seq: lastSeg.seq, size: g.size, log };
    return log;
  }

  /**
   * Zeroes the last segment after its last good record (a torn write, or
   * anything written past it), unless acknowledged records lie behind it.
   */
  private cutTail(path: string, buf: Buffer, off: number, bad: string | null): void {
    let dirty = off;
    while (dirty < buf.length && buf[dirty] === 0) dirty++;
    if (dirty === buf.length) return;
    // The torn write starts at or before `off` (writes hold whole records)
    // and holds at most maxWriteBytes, or is the one larger record at `off`
    // (its length is believed only if it fits the file). A record reaching
    // past that was in an earlier, acknowledged write.
    const length = buf.length - off >= 4 ? buf.readUInt32BE(off) : 0;
    const fits = off + RECORD_HEADER_BYTES + length <= buf.length;
    const torn = off + Math.max(this.maxWriteBytes, fits ? 8 + length : 0);
    const found = findRecordReaching(buf, off + 1, torn);
    if (found >= 0) {
      throw new WalCorruptError(
        `write-ahead log segment ${path} is corrupt at offset ${off}: ${bad ?? 'a zero record length'}. ` +
          `A well-formed record follows at offset ${found}, further than the last write could reach, so ` +
          'acknowledged Raft log entries would be lost: refusing to start. Restore this node from a backup, ' +
          'or remove its data dir and let it rejoin from the others',
      );
    }
    this.opts.log?.warn(
      { path, offset: off, droppedBytes: buf.length - off, reason: bad },
      'write-ahead log: cutting off a torn write at the end of the last segment (never acknowledged)',
    );
    const fd = openForAppend(path);
    try {
      const zeros = Buffer.alloc(Math.min(buf.length - off, 1024 * 1024));
      for (let p = off; p < buf.length; p += zeros.length) {
        writeFullySync(fd, path, zeros.subarray(0, Math.min(zeros.length, buf.length - p)), p);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Applies a segment's records to `log` in order, up to the end of its
 * written part or its first bad record (cut short, CRC mismatch,
 * unparsable). Returns where it stopped, why (null at the end of the written
 * part), and the highest entry index it wrote.
 */
function replaySegment(
  buf: Buffer,
  group: number,
  seq: number,
  log: WalLog,
): { end: number; bad: string | null; maxIndex: number } {
  let off = 0;
  let maxIndex = 0;
  try {
    for (let r = readRecord(buf, off); r !== null; r = readRecord(buf, off)) {
      const rec = r.record;
      if (off === 0 && (rec.type !== 'header' || rec.group !== group || rec.seq !== seq)) {
        throw new BadRecordError(
          `the segment does not start with its header (group ${group}, segment ${seq})`,
        );
      }
      switch (rec.type) {
        case 'header':
          if (off !== 0) throw new BadRecordError('a header in the middle of a segment');
          break;
        case 'entries':
          log.append(rec.firstIndex, rec.entries.length, rec.entries);
          maxIndex = Math.max(maxIndex, log.last);
          break;
        case 'hard-state':
          log.hardState = Buffer.from(rec.hardState); // a copy: a view would keep the whole file
          break;
        case 'reset':
          log.reset(rec.nextIndex);
          break;
        case 'compact':
          log.compact(rec.throughIndex);
          break;
        case 'truncate':
          log.truncate(rec.fromIndex);
          break;
      }
      off = r.next;
    }
  } catch (err) {
    return { end: off, bad: (err as Error).message, maxIndex };
  }
  return { end: off, bad: null, maxIndex };
}

function emptyGroup(group: number, dir: string): GroupWal {
  return {
    group,
    dir,
    log: new WalLog(false),
    readBack: null,
    segments: [],
    fd: null,
    size: 0,
    queued: [],
    queuedBytes: 0,
    queuedMax: 0,
    next: null,
    nextBytes: 0,
  };
}

/** Splits records into runs of at most maxBytes each (a larger record is a run of its own). */
export function writeRuns(records: Buffer[], maxBytes: number): Buffer[][] {
  const runs: Buffer[][] = [];
  let run: Buffer[] = [];
  let bytes = 0;
  for (const r of records) {
    if (run.length > 0 && bytes + r.length > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(r);
    bytes += r.length;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function isPacked(entries: readonly RaftLogEntry[] | PackedEntries): entries is PackedEntries {
  return !Array.isArray(entries);
}
