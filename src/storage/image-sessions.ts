// Streamed state images on the storage socket (ops 0x28-0x2f, see
// docs/storage.md): an export holds a read snapshot and hands out the image
// chunk by chunk; an install checks each chunk as it arrives, stages it on
// disk, and swaps the group's state for the staged image in one transaction
// at the end. No image ever has to fit one frame or be held whole by the
// engine. A session belongs to the connection that began it and ends with
// it, when it is ended, or after IMAGE_SESSION_IDLE_MS without a request.

import { STORAGE_MAX_KEY_BYTES, type GroupId } from './api.js';
import {
  LimitExceededError,
  WriteConflictError,
  type ImageReader,
  type StorageBackend,
} from './backend.js';
import { type FrameWriter, type Frame, PayloadError, PayloadReader } from './frame-codec.js';
import type { GroupCommitter } from './group-commit.js';
import { Op } from './protocol.js';
import { ImageParser } from './state-image.js';

/** Image sessions open at once in one engine (each export pins a read snapshot). */
export const MAX_IMAGE_SESSIONS = 16;
/** A session with no request for this long is ended (its read snapshot released). */
export const IMAGE_SESSION_IDLE_MS = 60_000;
/** Pieces of a stored Raft snapshot's image (also bounded by half the frame size). */
export const SNAPSHOT_PIECE_BYTES = 1024 * 1024;

const IMAGE_OPS: ReadonlySet<number> = new Set([
  Op.imageExportBegin,
  Op.imageExportChunk,
  Op.imageSessionEnd,
  Op.imageInstallBegin,
  Op.imageInstallChunk,
  Op.imageInstallCommit,
  Op.raftSnapshotFromState,
  Op.raftReadSnapshotChunk,
]);

export function isImageOp(op: number): boolean {
  return IMAGE_OPS.has(op);
}

interface Session {
  id: number;
  owner: object;
  group: GroupId;
  readonly timer: NodeJS.Timeout;
  /** Export: the reader. Install: null. */
  reader: ImageReader | null;
  /** Install: checks the chunks as they come. */
  parser: ImageParser | null;
  staged: number;
}

export class ImageSessions {
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;

  constructor(
    private readonly backend: StorageBackend,
    private readonly committer: GroupCommitter,
    private readonly maxFrameBytes: number,
    private readonly idleMs = IMAGE_SESSION_IDLE_MS,
  ) {}

  /** Serves one image op for the connection `owner`; `w` starts the reply. */
  async handle(f: Frame, owner: object, w: (hint?: number) => FrameWriter): Promise<Buffer> {
    const r = new PayloadReader(f.payload);
    const g = f.group;
    switch (f.op) {
      case Op.imageExportBegin: {
        r.end();
        // Answered applies may still be staged: read what is committed after them.
        const reader = await this.committer.atCommittedState(() => this.backend.openImageReader(g));
        const s = this.open(owner, g, reader, null);
        return w(20).u32(s.id).u64(reader.appliedIndex).u64(reader.keys).finish();
      }
      case Op.imageExportChunk: {
        const s = this.session(r.u32(), owner, g, 'export');
        const maxBytes = Math.max(1, Math.min(r.u32(), Math.floor(this.maxFrameBytes / 2)));
        r.end();
        const { chunk, last } = (s.reader as ImageReader).next(maxBytes);
        if (last) this.end(s);
        return w(chunk.length + 1)
          .u8(last ? 1 : 0)
          .raw(chunk)
          .finish();
      }
      case Op.imageSessionEnd: {
        const id = r.u32();
        r.end();
        const s = this.sessions.get(id);
        if (s && s.owner === owner) await this.abandon(s);
        return w(0).finish();
      }
      case Op.imageInstallBegin: {
        r.end();
        for (const other of [...this.sessions.values()]) {
          if (!other.parser || other.group !== g) continue;
          // This connection's own: it starts over (a follower's new snapshot).
          if (other.owner === owner) void this.abandon(other);
          else
            throw new WriteConflictError(`an image install into group ${g} is already under way`);
        }
        const s = this.open(owner, g, null, new ImageParser(installChecks));
        try {
          await this.committer.submit({ kind: 'image-stage-clear', group: g });
        } catch (err) {
          this.end(s);
          throw err;
        }
        return w(4).u32(s.id).finish();
      }
      case Op.imageInstallChunk: {
        const s = this.session(r.u32(), owner, g, 'install');
        const chunk = r.rest();
        const seq = s.staged++;
        try {
          (s.parser as ImageParser).push(chunk);
        } catch (err) {
          await this.abandon(s);
          throw err;
        }
        await this.committer.submit({ kind: 'image-stage', group: g, seq, chunk });
        return w(0).finish();
      }
      case Op.imageInstallCommit: {
        const s = this.session(r.u32(), owner, g, 'install');
        const raftSnapshot = r.nullableBytes();
        r.end();
        try {
          (s.parser as ImageParser).end();
        } finally {
          this.end(s);
        }
        await this.committer.submit({ kind: 'image-install', group: g, raftSnapshot });
        return w(0).finish();
      }
      case Op.raftSnapshotFromState: {
        const appliedIndex = r.u64();
        const image = r.u8();
        if (image > 1) throw new PayloadError(`raft snapshot from state: image flag ${image}`);
        const head = r.rest();
        const pieces = await this.readImage(g, appliedIndex, image === 1);
        await this.committer.submit({ kind: 'raft-snapshot-pieces', group: g, head, pieces });
        return w(0).finish();
      }
      case Op.raftReadSnapshotChunk: {
        const offset = r.u64();
        const maxBytes = Math.max(1, Math.min(r.u32(), Math.floor(this.maxFrameBytes / 2)));
        const head = r.rest();
        const bytes = await this.backend.raftSnapshotImage(g, head, offset, maxBytes);
        return w(bytes.byteLength).raw(bytes).finish();
      }
      default:
        throw new Error(`op ${f.op} is not an image op`);
    }
  }

  /**
   * The group's image at exactly `appliedIndex`, in pieces (none without
   * `image`), read from one read snapshot a piece per event-loop turn: a
   * large image does not stall the engine's other requests (the commits
   * that keep Raft going). The applied index is checked once the applies
   * sent before are committed: a snapshot head, committed after this,
   * never reaches the disk before the state it covers.
   */
  private async readImage(group: GroupId, appliedIndex: number, image: boolean): Promise<Buffer[]> {
    // Exactly the applies sent before this request: they may still be staged.
    const reader = await this.committer.atCommittedState(() => this.backend.openImageReader(group));
    try {
      if (reader.appliedIndex !== appliedIndex) {
        throw new WriteConflictError(
          `snapshot at index ${appliedIndex} refused: group ${group} is at index ${reader.appliedIndex}`,
        );
      }
      if (!image) return [];
      const pieceBytes = Math.min(SNAPSHOT_PIECE_BYTES, Math.floor(this.maxFrameBytes / 2));
      const pieces: Buffer[] = [];
      for (let last = false; !last;) {
        const next = reader.next(pieceBytes);
        pieces.push(next.chunk);
        last = next.last;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return pieces;
    } finally {
      reader.close();
    }
  }

  /** The connection `owner` closed: its sessions end. */
  releaseAll(owner: object): void {
    for (const s of [...this.sessions.values()]) if (s.owner === owner) void this.abandon(s);
  }

  /** Engine shutdown: every read snapshot is released before the backend closes. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s);
  }

  private open(
    owner: object,
    group: GroupId,
    reader: ImageReader | null,
    parser: ImageParser | null,
  ): Session {
    if (this.sessions.size >= MAX_IMAGE_SESSIONS) {
      reader?.close();
      throw new LimitExceededError(
        `${MAX_IMAGE_SESSIONS} image exports/installs are already open in this storage engine; end one or wait ${this.idleMs / 1000} s for an idle one to expire`,
      );
    }
    const id = this.nextId;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    const s: Session = { id, owner, group, reader, parser, staged: 0, timer: this.idleTimer(id) };
    this.sessions.set(id, s);
    return s;
  }

  private session(id: number, owner: object, group: GroupId, kind: 'export' | 'install'): Session {
    const s = this.sessions.get(id);
    if (
      !s ||
      s.owner !== owner ||
      s.group !== group ||
      (kind === 'export' ? s.reader === null : s.parser === null)
    ) {
      throw new WriteConflictError(
        `no image ${kind} ${id} is open for group ${group} on this connection (it ended, failed, or was idle for ${this.idleMs / 1000} s)`,
      );
    }
    s.timer.refresh();
    return s;
  }

  private idleTimer(id: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      const s = this.sessions.get(id);
      if (s) void this.abandon(s);
    }, this.idleMs);
    t.unref();
    return t;
  }

  private end(s: Session): void {
    clearTimeout(s.timer);
    this.sessions.delete(s.id);
    s.reader?.close();
  }

  /** Ends a session early; an install's staged chunks are dropped. */
  private async abandon(s: Session): Promise<void> {
    this.end(s);
    if (s.parser) {
      await this.committer
        .submit({ kind: 'image-stage-clear', group: s.group })
        .catch(() => undefined); // the next install clears it too
    }
  }
}

/**
 * What LMDB could not store is refused as the chunk arrives, before anything is
 * installed. Keys need no check here: the parser refuses one over the maximum.
 */
const installChecks = {
  pair(): void {},
  session(clientId: string): void {
    if (Buffer.byteLength(clientId, 'utf8') > STORAGE_MAX_KEY_BYTES - 1) {
      throw new LimitExceededError(
        `state image holds a session clientId over ${STORAGE_MAX_KEY_BYTES - 1} bytes`,
      );
    }
  },
};
