// The LMDB backend (lmdb-js, embedded). One environment under
// <data-dir>/lmdb with the sub-databases described in lmdb-layout.ts.
//
// Requests are staged on the main thread into a WriteOverlay (the pending
// writes over the committed state), then `commitStaged` hands every write to
// lmdb-js in one `batch`: one LMDB transaction, committed with fsync (sync
// on, overlappingSync off) on lmdb-js's write thread, so the event loop keeps
// serving meanwhile. While one commit is in flight the next overlay is staged
// on top of it, so a request's outcome is known before its commit is durable
// (the group committer decides who may be told early). `get` reads through
// the overlays; range reads wait until what was staged before them is
// committed. lmdb-js's async `transaction()` callbacks would let the requests
// run inside the LMDB transaction instead, but they never run on this
// platform (lmdb 3.5.6: the promise never settles), hence the overlay.
//
// Per-group counters (applied index, session order) are cached in memory and
// written into the same batch; if a commit fails, everything staged is
// dropped and the cache reloaded from the committed state. A group's key
// count is not kept: LMDB counts each sub-database's entries as it writes
// them (see countKeys), where keeping our own count cost every put a lookup
// of whether its key existed.
//
// The Raft log and hard state are not in LMDB: they live in the write-ahead
// log (raft-wal.ts), which this backend owns. Two rules tie the two stores
// together so that after any crash the state machine is at an applied index
// the log still covers: an LMDB commit starts only once every log write
// queued before it is durable (an apply never lands before the entries it
// applies), and the log is compacted or reset only after the LMDB commit
// holding the snapshot that covers it is durable.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase, type Transaction } from 'lmdb';
import type { Logger } from 'pino';
import { applyProposal } from '../kv/apply.js';
import type { Bytes, KvResult, KvStore, Proposal } from '../kv/types.js';
import type { GroupId, RaftLogEntry, ScanPage } from './api.js';
import type { LogEntrySize } from './frame-check.js';
import {
  WriteConflictError,
  type BackendStats,
  type PackedEntries,
  type RaftState,
  type StorageBackend,
  type WriteOp,
  type WriteResult,
} from './backend.js';
import {
  DB_DATA,
  DB_LAYOUT,
  DB_META,
  GROUP_PREFIX_BYTES,
  DB_RAFT,
  META_APPLIED_INDEX,
  META_SESSION,
  RAFT_ENTRY,
  RAFT_HARD_STATE,
  RAFT_IMAGE_STAGE,
  RAFT_SNAPSHOT,
  RAFT_SNAPSHOT_CHUNK,
  dataEnd,
  dataKey,
  entryIndex,
  imagePieceKey,
  pieceKey,
  readU64,
  sessionClientId,
  sessionKey,
  taggedKey,
  u64Value,
  type Alloc,
} from './lmdb-layout.js';
import { LmdbSessionTable, sessionLastIndex, type SessionCache } from './lmdb-sessions.js';
import { LmdbImageReader } from './lmdb-image.js';
import { upgradeLayout } from './lmdb-upgrade.js';
import { ImageParser } from './state-image.js';
import { WriteOverlay, asBuffer, type BinaryDb } from './write-overlay.js';
import { lmdbCommitError } from './lmdb-commit-error.js';
import { RaftWal } from './raft-wal.js';
import { ScratchBytes } from './scratch-bytes.js';

const EMPTY = Buffer.alloc(0);

/**
 * The engine's stores failed (`what`: the Raft write-ahead log, an LMDB
 * commit): it cannot serve again until it restarts and replays what is durable.
 */
export type StorageFailed = (what: string, err: Error) => void;

/** What a group's commits keep in memory; rebuilt from disk on first use. */
interface GroupState {
  appliedIndex: number;
  /** Every session, least recently used first, with the records it may hold. */
  sessions: SessionCache;
}

export class LmdbBackend implements StorageBackend {
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly data: BinaryDb;
  private readonly meta: BinaryDb;
  private readonly raft: BinaryDb;
  private readonly dbs: readonly BinaryDb[];
  private readonly groups = new Map<GroupId, GroupState>();
  /** Writes staged for the next commit. */
  private staged: WriteOverlay | null = null;
  /** The commit under way, until it is durable. */
  private inFlight: WriteOverlay | null = null;
  /**
   * The commit that was in flight when staged writes were dropped: the
   * in-memory state (cleared then) must not be reloaded from disk before it
   * has landed, so nothing is staged until then.
   */
  private reloadAfter: WriteOverlay | null = null;
  /** A staged snapshot install empties the group's log once it is committed. */
  private logReset: { group: GroupId; nextIndex: number } | null = null;
  private readonly wal: RaftWal;
  private readonly onFailed: StorageFailed;
  readonly path: string;

  constructor(dataDir: string, options: { log?: Logger; onFailed?: StorageFailed } = {}) {
    this.onFailed = options.onFailed ?? (() => undefined);
    this.path = join(dataDir, 'lmdb');
    this.root = open<Buffer, Buffer>({
      path: this.path,
      maxDbs: 8,
      // Durable before acknowledged: a commit's promise settles after fsync.
      overlappingSync: false,
      noSync: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    const opts = { keyEncoding: 'binary', encoding: 'binary' } as const;
    this.data = this.root.openDB<Buffer, Buffer>(DB_DATA, opts);
    this.meta = this.root.openDB<Buffer, Buffer>(DB_META, opts);
    this.raft = this.root.openDB<Buffer, Buffer>(DB_RAFT, opts);
    this.dbs = [this.data, this.meta, this.raft];
    try {
      const layout = this.root.openDB<Buffer, Buffer>(DB_LAYOUT, opts);
      upgradeLayout(this.root, { meta: this.meta, raft: this.raft, layout }, options.log);
    } catch (err) {
      void this.root.close();
      throw err;
    }
    this.wal = new RaftWal(dataDir, {
      log: options.log,
      onFailed: (err) => this.onFailed('the Raft write-ahead log', err),
    });
    this.moveLogsToWal();
  }

  /**
   * Runs `ops` in order against the state every earlier staged op left and
   * adds their writes to the next commit; one outcome per op (its result, or
   * the WriteConflictError that refused it). Any other failure drops all that
   * is staged and not committed, and throws.
   */
  stage(ops: readonly WriteOp[]): Array<WriteResult | WriteConflictError> {
    if (
      ops.some((op) => op.kind === 'image-install') &&
      (ops.length > 1 || this.staged !== null || this.inFlight !== null)
    ) {
      throw new Error('an image install must be committed alone');
    }
    if (this.reloadAfter !== null) {
      throw new Error(
        'staged writes were dropped after a failure; nothing is staged until the commit in flight is done',
      );
    }
    const overlay = (this.staged ??= new WriteOverlay(this.dbs, this.inFlight));
    const touched = new Set<GroupId>();
    const outcomes: Array<WriteResult | WriteConflictError> = [];
    try {
      for (const op of ops) {
        try {
          outcomes.push(this.run(op, overlay));
          touched.add(op.group);
        } catch (err) {
          // Conflicts are found before anything is changed; anything else aborts the commit.
          if (!(err instanceof WriteConflictError)) throw err;
          outcomes.push(err);
        }
      }
      for (const group of touched) {
        const g = this.state(group);
        overlay.put(this.meta, taggedKey(group, META_APPLIED_INDEX), u64Value(g.appliedIndex));
      }
    } catch (err) {
      this.dropStaged(err as Error);
      throw err;
    }
    return outcomes;
  }

  /**
   * Commits everything staged in ONE durable transaction; resolves once it is
   * fsynced. The caller runs one at a time. If it fails, nothing staged is
   * kept (not even what was staged on top of it) and it rejects.
   */
  async commitStaged(): Promise<void> {
    const overlay = this.staged;
    if (overlay === null) return;
    const reset = this.logReset;
    this.staged = null;
    this.logReset = null;
    this.inFlight = overlay;
    overlay.below = null; // the commit before it is done
    try {
      if (overlay.size > 0) {
        // Applies never land before the log entries they apply.
        await this.wal.synced();
        await this.writeToLmdb(overlay);
      }
      if (reset) await this.wal.reset(reset.group, reset.nextIndex);
    } catch (err) {
      this.inFlight = null;
      overlay.finished(err as Error);
      this.dropStaged(err as Error);
      throw err;
    }
    this.inFlight = null;
    if (this.reloadAfter === overlay) this.reloadAfter = null; // the state reloads from disk now
    overlay.finished(null);
  }

  /**
   * Hands the overlay to LMDB in one transaction. A commit that fails once
   * its writes are handed over (disk full, I/O error) is reported: only a
   * restart replays what is durable. A write refused before that is not.
   */
  private async writeToLmdb(overlay: WriteOverlay): Promise<void> {
    let handedOver = false;
    const flush = (): void => {
      overlay.flush();
      handedOver = true;
    };
    try {
      // An install's pairs go into a synchronous transaction as they are
      // read: lmdb-js's batch would queue every one of them in memory first.
      if (overlay.hasBulk) this.root.transactionSync(flush);
      else await this.root.batch(flush);
    } catch (err) {
      if (handedOver) this.onFailed('an LMDB commit', await lmdbCommitError(err));
      throw err;
    }
  }

  /** Stages `ops` and commits them at once. */
  async commit(ops: readonly WriteOp[]): Promise<Array<WriteResult | WriteConflictError>> {
    const outcomes = this.stage(ops);
    await this.commitStaged();
    return outcomes;
  }

  stagedBytes(): number {
    return this.staged?.bytes ?? 0;
  }

  /** Resolves once every write staged before the call is committed. */
  async committed(): Promise<void> {
    const last = this.staged ?? this.inFlight;
    if (last) await last.committed;
  }

  private dropStaged(err: Error): void {
    this.staged?.finished(err);
    this.staged = null;
    this.logReset = null;
    this.groups.clear();
    this.reloadAfter = this.inFlight;
  }

  get(group: GroupId, key: Bytes): Promise<Bytes | null> {
    const k = dataKey(group, key);
    const top = this.staged ?? this.inFlight;
    return Promise.resolve(top ? top.get(this.data, k) : (this.data.getBinary(k) ?? null));
  }

  readEach(
    group: GroupId,
    keys: readonly Bytes[],
    visit: (value: Uint8Array | null) => boolean,
  ): Promise<number> {
    const top = this.staged ?? this.inFlight;
    let n = 0;
    while (n < keys.length) {
      const k = dataKey(group, keys[n] as Bytes, scratchKey);
      const value = top ? top.get(this.data, k) : this.peek(k);
      n++;
      if (!visit(value)) break;
    }
    return Promise.resolve(n);
  }

  /**
   * A committed value as a view of lmdb-js's own read buffer, valid until its
   * next read: no copy. That buffer's `length` is set per read, its
   * `byteLength` is the whole buffer's, so the view is cut to `length`.
   */
  private peek(k: Buffer): Uint8Array | null {
    const b = this.data.getBinaryFast(k);
    return b === undefined ? null : b.subarray(0, b.length);
  }

  async scan(group: GroupId, start: Bytes, limit: number, maxBytes: number): Promise<ScanPage> {
    await this.committed();
    const entries: Array<[Bytes, Bytes]> = [];
    let bytes = 0;
    let next: Bytes | null = null;
    const end = dataEnd(group);
    const range = this.data.getRange(
      end ? { start: dataKey(group, start), end } : { start: dataKey(group, start) },
    );
    for (const { key, value } of range) {
      const userKey = key.subarray(GROUP_PREFIX_BYTES);
      const size = userKey.length + value.length;
      if (entries.length >= limit || (entries.length > 0 && bytes + size > maxBytes)) {
        next = userKey;
        break;
      }
      entries.push([userKey, value]);
      bytes += size;
    }
    return { entries, next };
  }

  async stats(group: GroupId): Promise<BackendStats> {
    await this.committed();
    const keys = this.countKeys(group);
    const applied = this.meta.getBinary(taggedKey(group, META_APPLIED_INDEX));
    // The whole engine's, whatever the group: LMDB's file (shared by every
    // group) and every group's write-ahead log segments.
    let diskBytes = this.wal.diskBytes();
    try {
      diskBytes += statSync(join(this.path, 'data.mdb')).size;
    } catch {
      // Not created yet.
    }
    return {
      keys,
      appliedIndex: applied ? readU64(applied, 0) : 0,
      diskBytes,
      walWrites: this.wal.counters.writes,
      walWrittenBytes: this.wal.counters.writtenBytes,
    };
  }

  async raftState(group: GroupId): Promise<RaftState> {
    await this.committed();
    await this.wal.synced();
    // The head and the size of the image after it, from one read transaction.
    const txn = this.root.useReadTransaction();
    try {
      const snapshot = this.raft.get(taggedKey(group, RAFT_SNAPSHOT), { transaction: txn }) ?? null;
      return {
        hardState: this.wal.hardState(group),
        snapshot,
        snapshotImageBytes: snapshot === null ? 0 : this.imageBytes(group, txn),
        ...this.wal.bounds(group),
      };
    } finally {
      txn.done();
    }
  }

  async raftEntries(
    group: GroupId,
    lo: number,
    hi: number,
    maxBytes: number,
  ): Promise<RaftLogEntry[]> {
    await this.wal.synced();
    return this.wal.entries(group, lo, hi, maxBytes);
  }

  largestLogEntries(): LogEntrySize[] {
    const out: LogEntrySize[] = [];
    for (const group of this.wal.groupIds()) {
      const applied = this.state(group).appliedIndex;
      const { firstIndex, lastIndex } = this.wal.bounds(group);
      const before = this.wal.largestEntry(group, firstIndex, applied + 1);
      const after = this.wal.largestEntry(group, applied + 1, lastIndex + 1);
      if (before !== null) out.push({ group, ...before, applied: true });
      if (after !== null) out.push({ group, ...after, applied: false });
    }
    return out;
  }

  raftAppend(
    group: GroupId,
    entries: readonly RaftLogEntry[] | PackedEntries,
    hardState: Bytes | null,
  ): Promise<void> {
    return this.wal.append(group, entries, hardState);
  }

  raftTruncate(group: GroupId, fromIndex: number): Promise<void> {
    return this.wal.truncate(group, fromIndex);
  }

  async raftCompact(group: GroupId, throughIndex: number): Promise<void> {
    // The snapshot covering what is dropped must be durable first (it is:
    // the coordinator compacts after its snapshot is answered); this only
    // makes sure of it.
    await this.committed();
    await this.wal.compact(group, throughIndex);
  }

  async close(): Promise<void> {
    await this.wal.close();
    await this.root.close();
  }

  private run(op: WriteOp, overlay: WriteOverlay): WriteResult {
    const g = this.state(op.group);
    switch (op.kind) {
      case 'apply':
        return this.apply(op.group, g, op.proposals, op.appliedIndex, overlay);
      case 'raft-snapshot':
        this.replaceSnapshot(op.group, op.snapshot, overlay);
        return null;
      case 'image-stage-clear': {
        const lo = taggedKey(op.group, RAFT_IMAGE_STAGE);
        for (const key of this.raft.getKeys({
          start: lo,
          end: taggedKey(op.group, RAFT_IMAGE_STAGE + 1),
        }))
          overlay.remove(this.raft, key);
        for (const key of overlay.pendingKeys(this.raft, lo)) overlay.remove(this.raft, key);
        return null;
      }
      case 'image-stage':
        overlay.put(this.raft, pieceKey(op.group, RAFT_IMAGE_STAGE, op.seq), op.chunk);
        return null;
      case 'image-install':
        this.install(op.group, g, op.raftSnapshot, overlay);
        return null;
      case 'raft-snapshot-pieces': {
        this.replaceSnapshot(op.group, op.head, overlay);
        let offset = 0;
        for (const piece of op.pieces) {
          overlay.put(this.raft, imagePieceKey(op.group, offset), piece);
          offset += piece.length;
        }
        return null;
      }
    }
  }

  private apply(
    group: GroupId,
    g: GroupState,
    proposals: Proposal[],
    appliedIndex: number,
    overlay: WriteOverlay,
  ): KvResult[] {
    const n = proposals.length;
    if (appliedIndex !== 0) {
      if (appliedIndex <= g.appliedIndex) {
        throw new WriteConflictError(
          `apply through index ${appliedIndex} refused: group ${group} has already applied through ${g.appliedIndex}`,
        );
      }
      if (appliedIndex < n) {
        throw new WriteConflictError(
          `apply of ${n} proposals cannot end at index ${appliedIndex}: indexes start at 1`,
        );
      }
    }
    const store = new OverlayKvStore(overlay, this.data, group);
    const sessions = new LmdbSessionTable(overlay, this.meta, group, g.sessions);
    const results: KvResult[] = new Array<KvResult>(n);
    const first = appliedIndex === 0 ? 0 : appliedIndex - n + 1;
    for (let i = 0; i < n; i++) {
      results[i] = applyProposal(
        store,
        sessions,
        proposals[i] as Proposal,
        first === 0 ? 0 : first + i,
      );
    }
    if (appliedIndex !== 0) g.appliedIndex = appliedIndex;
    return results;
  }

  /**
   * Replaces the group's state with the staged image (and, with a head,
   * stores that head as the Raft snapshot). It runs alone in its commit (the
   * group commit sees to it): every staged piece is committed and nothing
   * else is staged, so its pairs can go straight to LMDB at flush. The image
   * is read from the staging area one piece at a time, here to check it and
   * keep its (few) sessions, and again at flush to write its pairs, so the
   * install holds a piece, never the image (docs/storage.md).
   */
  private install(
    group: GroupId,
    g: GroupState,
    raftSnapshot: Bytes | null,
    overlay: WriteOverlay,
  ): void {
    const sessions: Array<[string, Buffer, number]> = [];
    const checker = new ImageParser({
      pair: () => undefined,
      // A copy: lmdb-js may reuse the buffer a piece was read into.
      session: (clientId, record, lastIndex) =>
        sessions.push([clientId, Buffer.from(record), lastIndex]),
    });
    for (const piece of this.stagedPieces(group)) checker.push(piece);
    if (checker.appliedIndex < 0) {
      throw new WriteConflictError(`group ${group} has no staged image to install`);
    }
    const appliedIndex = checker.appliedIndex;
    if (appliedIndex < g.appliedIndex) {
      throw new WriteConflictError(
        `state image at index ${appliedIndex} refused: group ${group} has already applied through ${g.appliedIndex}`,
      );
    }
    // Staged pieces were checked as they arrived; this only makes sure the image is whole.
    checker.end();
    const wipe = (db: BinaryDb, lo: Buffer, hi: Buffer | null): void => {
      for (const key of db.getKeys(hi ? { start: lo, end: hi } : { start: lo })) {
        overlay.remove(db, key);
      }
      for (const key of overlay.pendingKeys(db, lo)) overlay.remove(db, key);
    };
    wipe(this.meta, taggedKey(group, META_SESSION), taggedKey(group, META_SESSION + 1));
    overlay.later(() => {
      // Inside the install's transaction (commitStaged): reads see its writes.
      removeRange(this.data, dataKey(group, EMPTY), dataEnd(group));
      const writer = new ImageParser({
        pair: (k, v) => void this.data.put(dataKey(group, k), v),
        session: () => undefined,
      });
      for (const piece of this.stagedPieces(group)) writer.push(piece);
    });
    sessions.sort((a, b) => a[2] - b[2]);
    for (const [clientId, record] of sessions) {
      overlay.put(this.meta, sessionKey(group, clientId), record);
    }
    g.sessions = new Map(
      sessions.map(([clientId, , lastIndex]) => [clientId, { lastIndex, record: null }]),
    );
    g.appliedIndex = appliedIndex;
    // Deleted after the pairs are written (bulk writes go first, see WriteOverlay.later).
    wipe(this.raft, taggedKey(group, RAFT_IMAGE_STAGE), taggedKey(group, RAFT_IMAGE_STAGE + 1));
    if (raftSnapshot) {
      // The head alone, as a compaction stores it: the installed state
      // machine is the snapshot's image (writing it twice would double the
      // install's writes), and the next image is taken from the state.
      this.replaceSnapshot(group, raftSnapshot, overlay);
      // The write-ahead log is emptied once this commit is durable (commitStaged).
      this.logReset = { group, nextIndex: appliedIndex + 1 };
    }
  }

  /** The group's staged image, piece by piece in order, as the current transaction sees it. */
  private *stagedPieces(group: GroupId): Generator<Buffer> {
    const range = this.raft.getRange({
      start: taggedKey(group, RAFT_IMAGE_STAGE),
      end: taggedKey(group, RAFT_IMAGE_STAGE + 1),
    });
    for (const { value } of range) yield value;
  }

  /** Stores a snapshot head and drops the pieces of the previous snapshot's image. */
  private replaceSnapshot(group: GroupId, head: Bytes, overlay: WriteOverlay): void {
    overlay.put(this.raft, taggedKey(group, RAFT_SNAPSHOT), asBuffer(head));
    const lo = taggedKey(group, RAFT_SNAPSHOT_CHUNK);
    const hi = taggedKey(group, RAFT_SNAPSHOT_CHUNK + 1);
    for (const key of this.raft.getKeys({ start: lo, end: hi })) overlay.remove(this.raft, key);
    for (const key of overlay.pendingKeys(this.raft, lo)) overlay.remove(this.raft, key);
  }

  /** A reader of the committed state: call `committed()` first to include what is staged. */
  openImageReader(group: GroupId): LmdbImageReader {
    return new LmdbImageReader(this.root, this.data, this.meta, group, this.countKeys(group));
  }

  /**
   * The group's keys in the committed state (call `committed()` first to
   * include what is staged). LMDB counts a sub-database's entries as it
   * writes them, so while the data db holds this group alone (one group per
   * engine today) its count is the answer, at no cost to the writes; with
   * other groups beside it, the group's range is counted, a scan of its keys.
   */
  private countKeys(group: GroupId): number {
    const lo = dataKey(group, EMPTY);
    const hi = dataEnd(group);
    const [first] = this.data.getKeys({ limit: 1 });
    const [last] = this.data.getKeys({ limit: 1, reverse: true });
    if (first === undefined || last === undefined) return 0;
    const alone = first.compare(lo) >= 0 && (hi === null || last.compare(hi) < 0);
    if (alone) return (this.data.getStats() as { entryCount: number }).entryCount;
    return this.data.getKeysCount(hi ? { start: lo, end: hi } : { start: lo });
  }

  async raftSnapshotImage(
    group: GroupId,
    head: Bytes,
    offset: number,
    maxBytes: number,
  ): Promise<Bytes> {
    const txn = this.root.useReadTransaction();
    try {
      const stored = this.raft.get(taggedKey(group, RAFT_SNAPSHOT), { transaction: txn });
      if (stored === undefined || !stored.equals(head)) {
        throw new WriteConflictError(
          `group ${group}'s stored raft snapshot changed while it was read (at byte ${offset} of its image); read it again from its head (raft load)`,
        );
      }
      const piece = this.imagePieceAt(group, offset, txn);
      if (piece === null) return EMPTY;
      const from = offset - piece.offset;
      return piece.value.subarray(from, from + maxBytes);
    } finally {
      txn.done();
    }
  }

  /** The piece of the group's stored image that holds byte `offset`, or null past its end. */
  private imagePieceAt(
    group: GroupId,
    offset: number,
    txn: Transaction,
  ): { offset: number; value: Buffer } | null {
    // Reverse from the key at `offset`: the last piece that starts at or before it.
    for (const { key, value } of this.raft.getRange({
      start: imagePieceKey(group, offset),
      end: taggedKey(group, RAFT_SNAPSHOT_CHUNK),
      reverse: true,
      limit: 1,
      transaction: txn,
    })) {
      const start = readU64(key, GROUP_PREFIX_BYTES + 1);
      return offset < start + value.length ? { offset: start, value } : null;
    }
    return null;
  }

  /** Bytes of the group's stored image: where its last piece ends (0: none stored). */
  private imageBytes(group: GroupId, txn: Transaction): number {
    for (const { key, value } of this.raft.getRange({
      start: taggedKey(group, RAFT_SNAPSHOT_CHUNK + 1),
      end: taggedKey(group, RAFT_SNAPSHOT_CHUNK),
      reverse: true,
      limit: 1,
      transaction: txn,
    })) {
      if (key.length < GROUP_PREFIX_BYTES + 9 || key[GROUP_PREFIX_BYTES] !== RAFT_SNAPSHOT_CHUNK)
        return 0;
      return readU64(key, GROUP_PREFIX_BYTES + 1) + value.length;
    }
    return 0;
  }

  private state(group: GroupId): GroupState {
    let g = this.groups.get(group);
    if (g) return g;
    const applied = this.meta.getBinary(taggedKey(group, META_APPLIED_INDEX));
    const sessions: Array<[string, { lastIndex: number; record: null }]> = [];
    for (const { key, value } of this.meta.getRange({
      start: taggedKey(group, META_SESSION),
      end: taggedKey(group, META_SESSION + 1),
    })) {
      sessions.push([sessionClientId(key), { lastIndex: sessionLastIndex(value), record: null }]);
    }
    sessions.sort((a, b) => a[1].lastIndex - b[1].lastIndex);
    g = {
      appliedIndex: applied ? readU64(applied, 0) : 0,
      sessions: new Map(sessions),
    };
    this.groups.set(group, g);
    return g;
  }

  /**
   * A data dir from before the write-ahead log keeps each group's Raft log
   * and hard state in LMDB: move them into the log (durably), then delete
   * them from LMDB. If the log already has the group (a crash between the
   * two steps), the LMDB copy is only deleted.
   */
  private moveLogsToWal(): void {
    const groups = new Set<GroupId>();
    for (const key of this.raft.getKeys()) {
      const tag = key[GROUP_PREFIX_BYTES];
      if (tag === RAFT_HARD_STATE || tag === RAFT_ENTRY) groups.add(key.readUInt32BE(0));
    }
    for (const group of groups) {
      const lo = taggedKey(group, RAFT_ENTRY);
      const hi = taggedKey(group, RAFT_ENTRY + 1);
      const stale = [
        taggedKey(group, RAFT_HARD_STATE),
        ...this.raft.getKeys({ start: lo, end: hi }),
      ];
      if (!this.wal.has(group)) {
        const entries: RaftLogEntry[] = [];
        for (const { key, value } of this.raft.getRange({ start: lo, end: hi })) {
          entries.push({ index: entryIndex(key), data: value });
        }
        const hardState = this.raft.getBinary(taggedKey(group, RAFT_HARD_STATE)) ?? null;
        this.wal.importSync(group, entries, hardState);
      }
      this.root.transactionSync(() => {
        for (const key of stale) this.raft.removeSync(key);
      });
    }
  }
}

/**
 * Deletes every key in [lo, hi) of `db` inside the current write
 * transaction, a page of keys at a time: holding them all would cost what a
 * large group's keys take in memory.
 */
function removeRange(db: BinaryDb, lo: Buffer, hi: Buffer | null): void {
  for (;;) {
    const page = [
      ...db.getKeys(hi ? { start: lo, end: hi, limit: 1000 } : { start: lo, limit: 1000 }),
    ];
    if (page.length === 0) return;
    for (const key of page) void db.remove(key);
  }
}

/** The state machine's view of one group's data during a commit. */
// A data key is looked up or copied into the staged writes at once: made in
// reused buffers (scratch-bytes.ts).
const keyScratch = new ScratchBytes();
const scratchKey: Alloc = (n) => keyScratch.take(n);

class OverlayKvStore implements KvStore {
  constructor(
    private readonly overlay: WriteOverlay,
    private readonly db: BinaryDb,
    private readonly group: GroupId,
  ) {}

  get(key: Bytes): Bytes | undefined {
    return this.overlay.get(this.db, dataKey(this.group, key, scratchKey)) ?? undefined;
  }

  put(key: Bytes, value: Bytes): void {
    this.overlay.put(this.db, dataKey(this.group, key, scratchKey), asBuffer(value));
  }

  delete(key: Bytes): boolean {
    const k = dataKey(this.group, key, scratchKey);
    if (!this.overlay.has(this.db, k)) return false;
    this.overlay.remove(this.db, k);
    return true;
  }
}
