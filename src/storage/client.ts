// The coordinator's side of the storage socket: a pipelined client. Every
// request gets an id; replies are matched by id and may arrive in any order.
// When the connection drops, every pending request rejects with
// StorageUnavailableError and the close listeners run.

import { createConnection, type Socket } from 'node:net';
import { decodeResult, encodeProposal } from '../kv/codec.js';
import type { Bytes, KvResult, Proposal } from '../kv/types.js';
import type {
  GroupId,
  GroupStats,
  ImageExportApi,
  ImageExportInfo,
  RaftDiskState,
  RaftLogEntry,
  RaftStorageApi,
  ScanPage,
  StorageApi,
  StoredSnapshotInfo,
} from './api.js';
import { StorageError, StorageTimeoutError, StorageUnavailableError } from './errors.js';
import { replyFrameLimit } from './reply-room.js';
import { readStatsReply } from './stats-reply.js';
import { FrameDecoder, FrameError, FrameWriter, PayloadReader, type Frame } from './frame-codec.js';
import {
  BATCH_FIXED_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  ErrorCode,
  GET_MANY_MAX_KEYS,
  HEADER_BYTES,
  HELLO_MAGIC,
  LENGTH_PREFIX_BYTES,
  Op,
  PROTOCOL_VERSION,
  errorCodeName,
} from './protocol.js';
import { writeThisTick } from './tick-write.js';

export { StorageError, StorageTimeoutError, StorageUnavailableError } from './errors.js';

export interface ConnectOptions {
  /** Connecting plus the hello, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** Per request, in ms; 0 waits forever (default 30000). */
  requestTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** raftLoad reads the log in pages of about this many bytes. */
const LOAD_PAGE_BYTES = 4 * 1024 * 1024;
/** raftLoadSnapshot reads the stored image in ranges of at most this many bytes. */
const SNAPSHOT_READ_BYTES = 1024 * 1024;
/** Image install chunks sent ahead of their answers. */
const INSTALL_CHUNKS_IN_FLIGHT = 4;

interface GetWaiter {
  resolve(value: Bytes | null): void;
  reject(err: Error): void;
  /** Aborted once the caller no longer wants the value (see StorageApi.get). */
  cancel: AbortSignal | undefined;
}

/** Gets of one group gathered in one tick (see StorageClient.get). */
interface GetBatch {
  group: GroupId;
  keys: Bytes[];
  waiters: GetWaiter[];
  /** Size of the getMany frame that would carry them. */
  bytes: number;
}

function cancelled(): StorageError {
  return new StorageError('cancelled', 'the read was cancelled: its client is gone');
}

function emptyBatch(group: GroupId): GetBatch {
  return { group, keys: [], waiters: [], bytes: LENGTH_PREFIX_BYTES + HEADER_BYTES + 4 };
}

function addGet(b: GetBatch, key: Bytes, waiter: GetWaiter): void {
  b.keys.push(key);
  b.waiters.push(waiter);
  b.bytes += 4 + key.byteLength;
}

/** The gets of `b` from `from` on that are still wanted; the cancelled ones are rejected, never asked. */
function stillWanted(b: GetBatch, from: number): GetBatch {
  const rest = emptyBatch(b.group);
  for (let i = from; i < b.keys.length; i++) {
    const waiter = b.waiters[i] as GetWaiter;
    if (waiter.cancel?.aborted === true) waiter.reject(cancelled());
    else addGet(rest, b.keys[i] as Bytes, waiter);
  }
  return rest;
}

function fitsGetMany(b: GetBatch, key: Bytes, maxFrameBytes: number): boolean {
  return (
    b.keys.length < GET_MANY_MAX_KEYS &&
    b.bytes + 4 + key.byteLength - LENGTH_PREFIX_BYTES <= maxFrameBytes
  );
}

interface Pending {
  resolve(payload: Buffer): void;
  reject(err: Error): void;
  deadline: number;
  op: number;
}

export async function connectStorage(
  socketPath: string,
  opts: ConnectOptions = {},
): Promise<StorageClient> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new StorageUnavailableError(
          `storage engine at ${socketPath} did not accept a connection within ${connectTimeoutMs} ms`,
        ),
      );
    }, connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new StorageUnavailableError(
          `cannot reach the storage engine at ${socketPath}: ${err.code ?? err.message} (is \`distdb storage\` running?)`,
        ),
      );
    });
  });
  const client = new StorageClient(
    socketPath,
    socket,
    opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const timer = setTimeout(
    () =>
      client.fail(
        new StorageUnavailableError(
          `storage engine at ${socketPath} did not answer the hello within ${connectTimeoutMs} ms`,
        ),
      ),
    connectTimeoutMs,
  );
  try {
    await client.hello();
  } catch (err) {
    client.fail(err as Error);
    // The socket accepted, then the engine went away mid-hello (e.g. it is
    // dying): to the caller that is the same as not reaching it at all.
    if (err instanceof StorageUnavailableError) {
      throw new StorageUnavailableError(
        `cannot reach the storage engine at ${socketPath}: ${err.message} (is \`distdb storage\` running?)`,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

export class StorageClient implements StorageApi, RaftStorageApi, ImageExportApi {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private decoder = new FrameDecoder(replyFrameLimit(DEFAULT_MAX_FRAME_BYTES));
  private closeError: Error | null = null;
  private gets: GetBatch | null = null;
  private readonly closeListeners: Array<(err: Error) => void> = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Largest request frame the engine accepts (from its hello). */
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /** Largest key the engine stores (from its hello). */
  maxKeyBytes = 0;
  /** Settles (never rejects) with the reason once the connection is closed. */
  readonly closed: Promise<Error>;

  get batchRoom(): number {
    return this.maxFrameBytes - BATCH_FIXED_BYTES;
  }

  /** @internal Use connectStorage. */
  constructor(
    readonly socketPath: string,
    private readonly socket: Socket,
    private readonly requestTimeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => this.closeListeners.push(resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.fail(
        new StorageUnavailableError(`storage connection to ${socketPath} failed: ${err.message}`),
      ),
    );
    socket.on('close', () =>
      this.fail(
        new StorageUnavailableError(`storage engine at ${socketPath} closed the connection`),
      ),
    );
    if (requestTimeoutMs > 0) {
      this.sweepTimer = setInterval(
        () => this.expire(),
        Math.max(10, Math.min(1000, requestTimeoutMs / 4)),
      );
      this.sweepTimer.unref();
    }
  }

  /** Runs `cb` once when the connection closes (at once if it already has). */
  onClose(cb: (err: Error) => void): void {
    if (this.closeError) cb(this.closeError);
    else this.closeListeners.push(cb);
  }

  async apply(
    group: GroupId,
    proposals: ReadonlyArray<Proposal | Bytes>,
    appliedIndex: number,
  ): Promise<KvResult[]> {
    const w = this.writer(Op.apply, group, 12 + proposals.length * 32)
      .u64(appliedIndex)
      .u32(proposals.length);
    for (const p of proposals) w.bytes(p instanceof Uint8Array ? p : encodeProposal(p));
    const r = await this.send(w);
    const n = r.u32();
    const results = new Array<KvResult>(n);
    for (let i = 0; i < n; i++) results[i] = decodeResult(r.bytes());
    return results;
  }

  /**
   * Gets issued in the same tick (the reads one ReadIndex round released)
   * leave as one getMany frame and come back in one reply, instead of a
   * frame, a reply and a request slot in the engine each. A getMany reply
   * holds about 1 MiB of values; the rest is asked for again, without the
   * gets cancelled meanwhile.
   */
  get(group: GroupId, key: Bytes, cancel?: AbortSignal): Promise<Bytes | null> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (cancel?.aborted === true) return Promise.reject(cancelled());
    let b = this.gets;
    if (b !== null && (b.group !== group || !fitsGetMany(b, key, this.maxFrameBytes))) {
      this.flushGets();
      b = null;
    }
    if (b === null) {
      b = this.gets = emptyBatch(group);
      process.nextTick(() => this.flushGets());
    }
    const batch = b;
    return new Promise((resolve, reject) => addGet(batch, key, { resolve, reject, cancel }));
  }

  private flushGets(): void {
    const b = this.gets;
    if (b === null) return;
    this.gets = null;
    this.sendGets(b, 0);
  }

  /** Asks for b's keys from `from` on; the engine may answer a prefix, then the rest is asked again. */
  private sendGets(b: GetBatch, from: number): void {
    const n = b.keys.length - from;
    if (n === 0) return;
    if (n === 1) {
      const waiter = b.waiters[from] as GetWaiter;
      this.getOne(b.group, b.keys[from] as Bytes).then(waiter.resolve, waiter.reject);
      return;
    }
    const w = this.writer(Op.getMany, b.group, b.bytes).u32(n);
    for (let i = from; i < b.keys.length; i++) w.bytes(b.keys[i] as Bytes);
    this.send(w).then(
      (r) => {
        let i = from;
        try {
          const answered = r.u32();
          if (answered > n) {
            throw new StorageError('badReply', `getMany of ${n} keys answered ${answered}`);
          }
          if (answered === 0) {
            // No reply could carry the first value (reply-room.ts): asked
            // alone, it is refused alone, saying why.
            r.end();
            const waiter = b.waiters[from] as GetWaiter;
            this.getOne(b.group, b.keys[from] as Bytes).then(waiter.resolve, waiter.reject);
            this.sendGets(stillWanted(b, from + 1), 0);
            return;
          }
          for (const end = from + answered; i < end; i++) {
            (b.waiters[i] as GetWaiter).resolve(r.nullableBytes());
          }
          r.end();
        } catch (err) {
          for (; i < b.keys.length; i++) (b.waiters[i] as GetWaiter).reject(err as Error);
          return;
        }
        if (i < b.keys.length) this.sendGets(stillWanted(b, i), 0);
      },
      (err: Error) => {
        for (let i = from; i < b.keys.length; i++) (b.waiters[i] as GetWaiter).reject(err);
      },
    );
  }

  private async getOne(group: GroupId, key: Bytes): Promise<Bytes | null> {
    const r = await this.send(this.writer(Op.get, group, key.byteLength).raw(key));
    return r.u8() === 1 ? r.rest() : null;
  }

  async scan(group: GroupId, start: Bytes, limit: number): Promise<ScanPage> {
    const r = await this.send(
      this.writer(Op.scan, group, 4 + start.byteLength)
        .u32(limit)
        .raw(start),
    );
    const n = r.u32();
    const entries = new Array<[Bytes, Bytes]>(n);
    for (let i = 0; i < n; i++) entries[i] = [r.bytes(), r.bytes()];
    return { entries, next: r.nullableBytes() };
  }

  async stats(group: GroupId): Promise<GroupStats> {
    return readStatsReply(await this.send(this.writer(Op.stats, group, 0)));
  }

  async raftAppend(
    group: GroupId,
    entries: RaftLogEntry[],
    hardState: Bytes | null,
  ): Promise<void> {
    const first = entries[0]?.index ?? 0;
    let size = 13 + (hardState?.byteLength ?? 0);
    entries.forEach((e, i) => {
      if (e.index !== first + i)
        throw new RangeError('raftAppend: entries must have consecutive indexes');
      size += 4 + e.data.byteLength;
    });
    const w = this.writer(Op.raftAppend, group, size).u64(first).u32(entries.length);
    for (const e of entries) w.bytes(e.data);
    await this.send(w.nullableBytes(hardState));
  }

  async raftTruncate(group: GroupId, fromIndex: number): Promise<void> {
    await this.send(this.writer(Op.raftTruncate, group, 8).u64(fromIndex));
  }

  async raftCompact(group: GroupId, throughIndex: number): Promise<void> {
    await this.send(this.writer(Op.raftCompact, group, 8).u64(throughIndex));
  }

  async raftSaveSnapshot(group: GroupId, snapshot: Bytes): Promise<void> {
    await this.send(this.writer(Op.raftSaveSnapshot, group, snapshot.byteLength).raw(snapshot));
  }

  async raftEntries(
    group: GroupId,
    lo: number,
    hi: number,
    maxBytes = LOAD_PAGE_BYTES,
  ): Promise<RaftLogEntry[]> {
    const r = await this.send(
      this.writer(Op.raftReadLog, group, 20).u64(lo).u64(hi).u32(Math.min(maxBytes, 0xffffffff)),
    );
    const n = r.u32();
    const first = r.u64();
    const out = new Array<RaftLogEntry>(n);
    for (let i = 0; i < n; i++) out[i] = { index: first + i, data: r.bytes() };
    return out;
  }

  async raftLoad(group: GroupId): Promise<RaftDiskState> {
    const r = await this.send(this.writer(Op.raftLoad, group, 0));
    const hardState = r.nullableBytes();
    const snapshot = r.nullableBytes();
    const snapshotImage = r.u64() > 0;
    const firstIndex = r.u64();
    const lastIndex = r.u64();
    const entries: RaftLogEntry[] = [];
    for (let lo = firstIndex; lo <= lastIndex;) {
      const page = await this.raftEntries(group, lo, lastIndex + 1);
      const last = page[page.length - 1];
      if (!last) break;
      for (const e of page) entries.push(e);
      lo = last.index + 1;
    }
    return { hardState, snapshot, snapshotImage, entries };
  }

  async raftSnapshotFromState(
    group: GroupId,
    appliedIndex: number,
    head: Bytes,
    image: boolean,
  ): Promise<void> {
    await this.send(
      this.writer(Op.raftSnapshotFromState, group, 9 + head.byteLength)
        .u64(appliedIndex)
        .u8(image ? 1 : 0)
        .raw(head),
    );
  }

  async raftLoadSnapshot(group: GroupId): Promise<Bytes | null> {
    const stored = await this.raftStoredSnapshot(group);
    if (stored === null) return null;
    const parts = [stored.head];
    for (let offset = 0; offset < stored.imageBytes;) {
      const part = await this.raftSnapshotImage(group, stored.head, offset, SNAPSHOT_READ_BYTES);
      if (part.length === 0) break;
      parts.push(part);
      offset += part.length;
    }
    return Buffer.concat(parts);
  }

  async raftStoredSnapshot(group: GroupId): Promise<StoredSnapshotInfo | null> {
    const r = await this.send(this.writer(Op.raftLoad, group, 0));
    r.nullableBytes();
    const head = r.nullableBytes();
    const imageBytes = r.u64();
    return head === null ? null : { head, imageBytes };
  }

  async raftSnapshotImage(
    group: GroupId,
    head: Bytes,
    offset: number,
    maxBytes: number,
  ): Promise<Buffer> {
    // The engine refuses a range of another snapshot than this head's.
    const r = await this.send(
      this.writer(Op.raftReadSnapshotChunk, group, 12 + head.byteLength)
        .u64(offset)
        .u32(Math.min(maxBytes, 0xffffffff))
        .raw(head),
    );
    return r.rest();
  }

  async imageExportBegin(group: GroupId): Promise<ImageExportInfo> {
    const r = await this.send(this.writer(Op.imageExportBegin, group, 0));
    return { id: r.u32(), appliedIndex: r.u64(), keys: r.u64() };
  }

  async imageExportChunk(
    group: GroupId,
    id: number,
    maxBytes: number,
  ): Promise<{ chunk: Buffer; last: boolean }> {
    const r = await this.send(this.writer(Op.imageExportChunk, group, 8).u32(id).u32(maxBytes));
    const last = r.u8() === 1;
    return { chunk: r.rest(), last };
  }

  async imageSessionEnd(group: GroupId, id: number): Promise<void> {
    await this.send(this.writer(Op.imageSessionEnd, group, 4).u32(id));
  }

  async installImage(
    group: GroupId,
    image: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    raftSnapshotHead: Bytes | null,
  ): Promise<void> {
    const id = await this.imageInstallBegin(group);
    const inFlight: Array<Promise<unknown>> = [];
    try {
      for await (const chunk of image) {
        inFlight.push(this.imageInstallChunk(group, id, chunk));
        // A few chunks in flight keep the socket busy without holding the image.
        if (inFlight.length >= INSTALL_CHUNKS_IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } catch (err) {
      await Promise.allSettled(inFlight);
      await this.imageSessionEnd(group, id).catch(() => undefined);
      throw err;
    }
    await this.imageInstallCommit(group, id, raftSnapshotHead);
  }

  async imageInstallBegin(group: GroupId): Promise<number> {
    return (await this.send(this.writer(Op.imageInstallBegin, group, 0))).u32();
  }

  /** One frame per piece that fits one; a larger chunk is sent in several, in order. */
  async imageInstallChunk(group: GroupId, id: number, chunk: Uint8Array): Promise<void> {
    const piece = Math.max(1, this.maxFrameBytes - 64);
    const sent: Array<Promise<unknown>> = [];
    for (let off = 0; off < chunk.byteLength; off += piece) {
      const part = chunk.subarray(off, off + piece);
      sent.push(
        this.send(
          this.writer(Op.imageInstallChunk, group, 4 + part.byteLength)
            .u32(id)
            .raw(part),
        ),
      );
    }
    await Promise.all(sent);
  }

  /**
   * Waits for the answer without a timeout: the engine writes the whole image
   * in one transaction (1–3 s per million pairs here) and answers nothing
   * else meanwhile, so a large image outlasts any fixed timeout, and failing
   * it would only make the caller reload while the engine is still busy.
   * A closed connection still ends the wait.
   */
  async imageInstallCommit(
    group: GroupId,
    id: number,
    raftSnapshotHead: Bytes | null,
  ): Promise<void> {
    await this.send(
      this.writer(Op.imageInstallCommit, group, 9 + (raftSnapshotHead?.byteLength ?? 0))
        .u32(id)
        .nullableBytes(raftSnapshotHead),
      undefined,
      false,
    );
  }

  async close(): Promise<void> {
    if (this.closeError) return;
    const done = this.closed;
    this.socket.end();
    this.fail(new StorageUnavailableError('storage client closed'));
    await done;
  }

  /** @internal Opens the protocol; called once by connectStorage. */
  async hello(): Promise<void> {
    const r = await this.send(
      new FrameWriter(0, Op.hello, 0, 6).u32(HELLO_MAGIC).u16(PROTOCOL_VERSION),
      0,
    );
    const version = r.u16();
    this.maxFrameBytes = r.u32();
    this.maxKeyBytes = r.u32();
    if (version !== PROTOCOL_VERSION) {
      throw new StorageError(
        'versionMismatch',
        `storage engine speaks protocol version ${version}, this client ${PROTOCOL_VERSION}`,
      );
    }
    this.decoder = new FrameDecoder(Math.min(0xffffffff, replyFrameLimit(this.maxFrameBytes)));
  }

  /** @internal Closes the connection with `err`: pending requests reject with it. */
  fail(err: Error): void {
    if (this.closeError) return;
    this.closeError = err;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
    for (const cb of this.closeListeners.splice(0)) cb(err);
  }

  private writer(op: number, group: GroupId, hint: number): FrameWriter {
    if (!Number.isInteger(group) || group < 0 || group > 0xffffffff) {
      throw new RangeError(`group id must be a u32, got ${group}`);
    }
    const id = this.nextId;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    return new FrameWriter(id, op, group, hint);
  }

  /** `timed` false: the request waits for its answer without the request timeout. */
  private send(w: FrameWriter, requestId?: number, timed = true): Promise<PayloadReader> {
    if (this.closeError) return Promise.reject(this.closeError);
    const frame = w.finish();
    const id = requestId ?? frame.readUInt32BE(LENGTH_PREFIX_BYTES);
    if (frame.length - LENGTH_PREFIX_BYTES > this.maxFrameBytes) {
      return Promise.reject(
        new StorageError(
          'limit',
          `request of ${frame.length} bytes exceeds the storage engine's maximum frame size of ${this.maxFrameBytes} bytes`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (payload) => resolve(new PayloadReader(payload)),
        reject,
        deadline:
          timed && this.requestTimeoutMs > 0 ? Date.now() + this.requestTimeoutMs : Infinity,
        op: frame[8] as number,
      });
      writeThisTick(this.socket, frame);
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (f) => this.onFrame(f));
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.fail(new StorageUnavailableError(`storage engine sent a bad frame: ${err.message}`));
    }
  }

  private onFrame(f: Frame): void {
    const p = this.pending.get(f.requestId);
    if (f.op === Op.error) {
      const r = new PayloadReader(f.payload);
      let code = 0;
      let message = 'malformed error frame';
      try {
        code = r.u16();
        message = r.rest().toString('utf8');
      } catch {
        // Keep the defaults.
      }
      const err =
        code === ErrorCode.shuttingDown
          ? new StorageUnavailableError(message)
          : new StorageError(errorCodeName(code), message);
      if (p) {
        this.pending.delete(f.requestId);
        p.reject(err);
      } else if (f.requestId === 0) {
        // A connection-level error: the engine closes after it.
        this.fail(err);
      }
      return;
    }
    if (!p) return; // Timed out already.
    this.pending.delete(f.requestId);
    if (f.op !== p.op) {
      p.reject(new StorageError('badReply', `reply op ${f.op} does not match request op ${p.op}`));
      return;
    }
    p.resolve(f.payload);
  }

  private expire(): void {
    const now = Date.now();
    // Same timeout for all, so deadlines ascend in insertion order, but for
    // the untimed requests (Infinity) in between.
    for (const [id, p] of this.pending) {
      if (p.deadline === Infinity) continue;
      if (p.deadline > now) break;
      this.pending.delete(id);
      p.reject(
        new StorageTimeoutError(
          `storage engine did not answer within ${this.requestTimeoutMs} ms (op ${p.op}); the request may still take effect`,
        ),
      );
    }
  }
}
