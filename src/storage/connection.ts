// One client connection to the storage engine: decodes frames, checks the
// hello, runs each request (reads at once, writes through group commit) and
// writes each reply as soon as it is ready, so replies may overtake each
// other. Bad input gets an error frame; when framing is lost the connection
// is closed after it. Backpressure: while too many requests are in flight or
// too many reply bytes wait for the client, frames already received wait in
// a backlog and the socket is not read.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { KvCodecError, decodeProposal, resultBytes, writeResult } from '../kv/codec.js';
import type { KvResult, Proposal } from '../kv/types.js';
import { STORAGE_MAX_KEY_BYTES } from './api.js';
import { LimitExceededError, WriteConflictError, type StorageBackend } from './backend.js';
import { isImageOp, type ImageSessions } from './image-sessions.js';
import {
  FrameDecoder,
  FrameError,
  FrameWriter,
  PayloadError,
  PayloadReader,
  type Frame,
} from './frame-codec.js';
import { ShuttingDownError, type GroupCommitter } from './group-commit.js';
import {
  ErrorCode,
  GET_MANY_MAX_KEYS,
  GET_MANY_REPLY_BYTES,
  HEADER_BYTES,
  HELLO_MAGIC,
  LENGTH_PREFIX_BYTES,
  Op,
  PROTOCOL_VERSION,
  errorCodeName,
} from './protocol.js';
import { replyFrameLimit, valueTooLargeToRead } from './reply-room.js';
import { writeStatsReply } from './stats-reply.js';
import { writeThisTick } from './tick-write.js';

export interface ConnectionLimits {
  maxFrameBytes: number;
  /** Requests one connection may have in flight before reading pauses. */
  maxInFlight: number;
  /** Reply bytes waiting for a slow reader before reading pauses. */
  maxOutputBytes: number;
  /** Most entries one scan returns. */
  maxScanLimit: number;
}

export interface ConnectionContext {
  backend: StorageBackend;
  committer: GroupCommitter;
  images: ImageSessions;
  limits: ConnectionLimits;
  log: Logger;
}

/** A session clientId is stored in a key after the 5-byte group+tag prefix. */
const MAX_CLIENT_ID_BYTES = STORAGE_MAX_KEY_BYTES - 1;

export class StorageConnection {
  private readonly decoder: FrameDecoder;
  private greeted = false;
  private inFlight = 0;
  private readsInFlight = 0;
  private closed = false;
  /** Frames decoded while paused, started once there is room again. */
  private backlog: Frame[] = [];
  private backlogHead = 0;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.decoder = new FrameDecoder(ctx.limits.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', (err) => ctx.log.debug({ err: err.message }, 'storage connection error'));
    socket.on('close', () => {
      this.closed = true;
      ctx.images.releaseAll(this);
    });
  }

  /** Ends the connection (engine shutdown). */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.decoder.push(chunk, (f) => this.onFrame(f));
    } catch (err) {
      if (err instanceof FrameError) {
        const code = err.kind === 'too-large' ? ErrorCode.frameTooLarge : ErrorCode.badFrame;
        this.fatal(0, 0, code, err.message);
      } else {
        // A bug of ours, not the client's: drop this connection, keep serving the others.
        this.ctx.log.error({ err: (err as Error).stack }, 'storage connection handler failed');
        this.fatal(0, 0, ErrorCode.internal, `storage engine failure: ${(err as Error).message}`);
      }
    }
  }

  private onFrame(f: Frame): void {
    if (this.closed) return;
    if (!this.greeted) {
      this.hello(f);
    } else if (this.backlogHead < this.backlog.length || !this.canStart(f)) {
      this.backlog.push(f);
      this.socket.pause();
    } else {
      this.start(f);
    }
  }

  /** Too many requests in flight, or too many reply bytes the client has not taken. */
  private full(): boolean {
    return (
      this.inFlight >= this.ctx.limits.maxInFlight ||
      this.socket.writableLength >= this.ctx.limits.maxOutputBytes
    );
  }

  /**
   * Reads are few at a time: their replies can be large and they are
   * written as they finish (a microtask later), so this bounds the reply
   * bytes a client that does not read can make the engine hold.
   */
  private canStart(f: Frame): boolean {
    return !this.full() && (!isRead(f.op) || this.readsInFlight < MAX_READS_IN_FLIGHT);
  }

  /** Starts backlogged frames while there is room; reads the socket again once none are left. */
  private pump(): void {
    while (
      !this.closed &&
      this.backlogHead < this.backlog.length &&
      this.canStart(this.backlog[this.backlogHead] as Frame)
    ) {
      this.start(this.backlog[this.backlogHead++] as Frame);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
      if (!this.closed && !this.full()) this.socket.resume();
    }
  }

  private start(f: Frame): void {
    const read = isRead(f.op);
    this.inFlight++;
    if (read) this.readsInFlight++;
    if (this.full()) this.socket.pause();
    const done = (reply: Buffer): void => {
      if (read) this.readsInFlight--;
      this.reply(reply);
    };
    this.handle(f).then(done, (err: unknown) => done(this.errorReply(f, err)));
  }

  private hello(f: Frame): void {
    if (f.op !== Op.hello) {
      this.fatal(
        f.requestId,
        f.group,
        ErrorCode.helloRequired,
        `the first frame must be a hello (op ${Op.hello}), got op ${f.op}`,
      );
      return;
    }
    let magic = 0;
    let version = 0;
    try {
      const r = new PayloadReader(f.payload);
      magic = r.u32();
      version = r.u16();
    } catch {
      // Reported below as a mismatch.
    }
    if (magic !== HELLO_MAGIC || version !== PROTOCOL_VERSION) {
      this.fatal(
        f.requestId,
        f.group,
        ErrorCode.versionMismatch,
        magic !== HELLO_MAGIC
          ? 'not a distdb storage client: the hello lacks the DDBS magic'
          : `storage protocol version ${version} is not supported; this engine speaks version ${PROTOCOL_VERSION} (upgrade the older side)`,
      );
      return;
    }
    this.greeted = true;
    this.reply(
      new FrameWriter(f.requestId, Op.hello, f.group, 10)
        .u16(PROTOCOL_VERSION)
        .u32(this.ctx.limits.maxFrameBytes)
        .u32(STORAGE_MAX_KEY_BYTES)
        .finish(),
    );
  }

  private async handle(f: Frame): Promise<Buffer> {
    const { backend, committer, limits } = this.ctx;
    const r = new PayloadReader(f.payload);
    const g = f.group;
    const w = (hint?: number): FrameWriter => new FrameWriter(f.requestId, f.op, g, hint);
    switch (f.op) {
      case Op.apply: {
        const appliedIndex = r.u64();
        const n = r.u32();
        if (n > r.remaining / 4) throw new PayloadError(`apply claims ${n} proposals`);
        const proposals: Proposal[] = new Array<Proposal>(n);
        for (let i = 0; i < n; i++) {
          const at = r.skipBytes(); // decoded in place: no view per proposal
          proposals[i] = checkProposal(decodeProposal(f.payload, at, r.offset));
        }
        r.end();
        const results = await committer.submit({
          kind: 'apply',
          group: g,
          proposals,
          appliedIndex,
        });
        const list = results ?? [];
        const out = w(16 * n).u32(n);
        for (let i = 0; i < list.length; i++) {
          const res = list[i] as KvResult;
          const size = resultBytes(res);
          const at = out.u32(size).reserve(size); // before `target`: reserving may replace it
          writeResult(out.target, at, res); // straight into the frame
        }
        return out.finish();
      }
      case Op.get: {
        const key = checkKey(r.rest());
        const value = await backend.get(g, key);
        const frameBytes = HEADER_BYTES + 1 + (value?.byteLength ?? 0);
        if (value && frameBytes > replyFrameLimit(limits.maxFrameBytes)) {
          throw valueTooLargeToRead(value.byteLength, frameBytes, limits.maxFrameBytes);
        }
        return w(value ? value.byteLength + 1 : 1)
          .u8(value ? 1 : 0)
          .raw(value ?? EMPTY)
          .finish();
      }
      case Op.getMany: {
        const n = r.u32();
        if (n === 0 || n > GET_MANY_MAX_KEYS || n > r.remaining / 4) {
          throw new PayloadError(`getMany asks for ${n} keys (1 to ${GET_MANY_MAX_KEYS})`);
        }
        const keys = new Array<Buffer>(n);
        for (let i = 0; i < n; i++) keys[i] = checkKey(r.bytes());
        r.end();
        const out = w(4 + n * 128);
        const count = out.reserve(4);
        // A value the reply has no room left for is not answered: the client
        // asks again from it, alone (Op.get) when no reply could carry it.
        const room = replyFrameLimit(limits.maxFrameBytes) + LENGTH_PREFIX_BYTES;
        let answered = 0;
        await backend.readEach(g, keys, (value) => {
          if (value !== null && out.length + 5 + value.byteLength > room) return false;
          out.nullableBytes(value);
          answered++;
          return out.length < GET_MANY_REPLY_BYTES;
        });
        out.target.writeUInt32BE(answered, count);
        return out.finish();
      }
      case Op.scan: {
        const limit = r.u32();
        const start = checkKey(r.rest());
        if (limit < 1 || limit > limits.maxScanLimit) {
          throw new LimitExceededError(
            `scan limit must be 1 to ${limits.maxScanLimit}, got ${limit}`,
          );
        }
        committer.commitNow(); // a range read waits for what is staged: commit it now
        const page = await backend.scan(g, start, limit, limits.maxFrameBytes / 2);
        // A page holds at least one pair, whatever its size: past what a reply
        // carries when that value is.
        let frameBytes = HEADER_BYTES + 5 + (page.next ? 4 + page.next.byteLength : 0);
        let largest = 0;
        for (const [k, v] of page.entries) {
          frameBytes += 8 + k.byteLength + v.byteLength;
          largest = Math.max(largest, v.byteLength);
        }
        if (frameBytes > replyFrameLimit(limits.maxFrameBytes)) {
          throw valueTooLargeToRead(largest, frameBytes, limits.maxFrameBytes);
        }
        const out = w(256).u32(page.entries.length);
        for (const [k, v] of page.entries) out.bytes(k).bytes(v);
        return out.nullableBytes(page.next).finish();
      }
      case Op.stats: {
        r.end();
        committer.commitNow();
        const s = await backend.stats(g);
        const c = committer.counters;
        return writeStatsReply(w(56), s, {
          commits: c.commits,
          committedWrites: c.committedWrites,
          walWrites: s.walWrites,
          walWrittenBytes: s.walWrittenBytes,
        }).finish();
      }
      case Op.raftAppend: {
        const first = r.u64();
        const n = r.u32();
        if (n > r.remaining / 4) throw new PayloadError(`raft append claims ${n} entries`);
        // Checked field by field, then logged as they came: one view, no object per entry.
        const start = r.offset;
        for (let i = 0; i < n; i++) r.skipBytes();
        const entries = { first, count: n, bytes: f.payload.subarray(start, r.offset) };
        const hardState = r.nullableBytes();
        r.end();
        if (n > 0 && first < 1) throw new PayloadError('raft log indexes start at 1');
        await backend.raftAppend(g, entries, hardState);
        return w(0).finish();
      }
      case Op.raftTruncate: {
        const fromIndex = r.u64();
        r.end();
        await backend.raftTruncate(g, fromIndex);
        return w(0).finish();
      }
      case Op.raftCompact: {
        const throughIndex = r.u64();
        r.end();
        committer.commitNow(); // the compaction waits for what is staged: commit it now
        await backend.raftCompact(g, throughIndex);
        return w(0).finish();
      }
      case Op.raftSaveSnapshot: {
        await committer.submit({ kind: 'raft-snapshot', group: g, snapshot: r.rest() });
        return w(0).finish();
      }
      case Op.raftLoad: {
        r.end();
        committer.commitNow();
        const s = await backend.raftState(g);
        return w(64)
          .nullableBytes(s.hardState)
          .nullableBytes(s.snapshot)
          .u64(s.snapshotImageBytes)
          .u64(s.firstIndex)
          .u64(s.lastIndex)
          .finish();
      }
      case Op.raftReadLog: {
        const lo = r.u64();
        const hi = r.u64();
        const maxBytes = Math.min(r.u32(), limits.maxFrameBytes / 2);
        r.end();
        committer.commitNow();
        const entries = await backend.raftEntries(g, lo, hi, maxBytes);
        const out = w(256)
          .u32(entries.length)
          .u64(entries[0]?.index ?? lo);
        for (const e of entries) out.bytes(e.data);
        return out.finish();
      }
      default:
        if (isImageOp(f.op)) return this.ctx.images.handle(f, this, w);
        return errorFrame(f, ErrorCode.unknownOp, `unknown op ${f.op}`);
    }
  }

  private errorReply(f: Frame, err: unknown): Buffer {
    if (err instanceof PayloadError || err instanceof KvCodecError) {
      return errorFrame(f, ErrorCode.badRequest, `malformed op ${f.op} request: ${err.message}`);
    }
    if (err instanceof LimitExceededError) return errorFrame(f, ErrorCode.limit, err.message);
    if (err instanceof WriteConflictError) return errorFrame(f, ErrorCode.conflict, err.message);
    if (err instanceof ShuttingDownError) {
      return errorFrame(f, ErrorCode.shuttingDown, err.message);
    }
    const message = err instanceof Error ? err.message : String(err);
    this.ctx.log.error({ err: message, op: f.op }, 'storage request failed');
    return errorFrame(f, ErrorCode.internal, `storage engine failure: ${message}`);
  }

  private reply(buf: Buffer): void {
    this.inFlight--;
    if (this.closed) return;
    writeThisTick(this.socket, buf);
    this.pump();
  }

  /** Sends an error frame and closes: the peer cannot be understood any more. */
  private fatal(requestId: number, group: number, code: number, message: string): void {
    this.ctx.log.warn(
      { code: errorCodeName(code), message },
      'closing a storage connection after bad input',
    );
    this.closed = true;
    this.socket.end(errorFrame({ requestId, group }, code, message));
  }
}

const EMPTY = Buffer.alloc(0);

/** Reads in flight per connection (see canStart). */
const MAX_READS_IN_FLIGHT = 16;

const WRITE_OPS: ReadonlySet<number> = new Set([
  Op.apply,
  Op.raftAppend,
  Op.raftTruncate,
  Op.raftCompact,
  Op.raftSaveSnapshot,
  Op.imageInstallBegin,
  Op.imageInstallChunk,
  Op.imageInstallCommit,
  Op.raftSnapshotFromState,
]);

function isRead(op: number): boolean {
  return !WRITE_OPS.has(op);
}

function errorFrame(
  f: { requestId: number; group: number },
  code: number,
  message: string,
): Buffer {
  return new FrameWriter(f.requestId, Op.error, f.group, 64)
    .u16(code)
    .raw(Buffer.from(message, 'utf8'))
    .finish();
}

function checkKey<K extends Uint8Array>(key: K): K {
  if (key.byteLength > STORAGE_MAX_KEY_BYTES) {
    throw new LimitExceededError(
      `key of ${key.byteLength} bytes exceeds the maximum key size of ${STORAGE_MAX_KEY_BYTES} bytes`,
    );
  }
  return key;
}

function checkClientId(clientId: string): void {
  if (Buffer.byteLength(clientId, 'utf8') > MAX_CLIENT_ID_BYTES) {
    throw new LimitExceededError(`session clientId exceeds ${MAX_CLIENT_ID_BYTES} bytes`);
  }
}

/** Refuses, before anything is applied, what LMDB could not store. */
function checkProposal(p: Proposal): Proposal {
  if (p.session) checkClientId(p.session.clientId);
  const c = p.command;
  switch (c.op) {
    case 'put':
    case 'cas':
    case 'incr':
    case 'append':
    case 'getdel':
      checkKey(c.key);
      break;
    case 'del':
      for (const k of c.keys) checkKey(k);
      break;
    case 'mset':
      for (const [k] of c.pairs) checkKey(k);
      break;
    case 'noop':
      break;
  }
  return p;
}
