// BACKUP BEGIN | CHUNK <id> | END <id>: a consistent copy of the whole key
// space, read from this node's storage engine in chunks (what `distdb backup`
// drives). BEGIN first waits for a ReadIndex (as a linearizable read does),
// so the copy holds every write acknowledged before BEGIN; then the engine
// opens a read snapshot at its applied index, which every CHUNK reads from,
// whatever is written meanwhile. Any node serves it. Backups are bounded per
// node and end after BACKUP_IDLE_MS without a request (releasing the read
// snapshot, which otherwise keeps LMDB from reusing pages). Each CHUNK reply
// fits the connection's --max-output-buffer with its RESP framing, whatever
// the limit and however large one stored pair is: the engine's piece is cut
// (an image may be cut anywhere) and what did not fit goes out next.

import { randomBytes } from 'node:crypto';
import {
  encodeBulk,
  encodeReply,
  encodeSimple,
  longestBulkFitting,
} from '../../resp/reply-encoder.js';
import type { ImageExportApi } from '../../storage/api.js';
import type { Handler, NodeState } from '../command-context.js';
import { CommandError } from '../command-error.js';
import type { CoordinatorLimits } from '../limits.js';
import { KEYSPACE_GROUP } from './group.js';

/** Backups open at once on one node. */
export const MAX_OPEN_BACKUPS = 4;
/** A backup with no request for this long is ended. */
export const BACKUP_IDLE_MS = 60_000;
/** Most bytes of image in one BACKUP CHUNK reply. */
export const BACKUP_CHUNK_BYTES = 1024 * 1024;

/**
 * Bytes of image in one BACKUP CHUNK reply: BACKUP_CHUNK_BYTES, or fewer so
 * that the reply with its framing fits --max-output-buffer (a larger one
 * would disconnect the client as one that does not read).
 */
export function backupChunkBytes(limits: Pick<CoordinatorLimits, 'maxOutputBuffer'>): number {
  return Math.max(1, Math.min(BACKUP_CHUNK_BYTES, longestBulkFitting(limits.maxOutputBuffer)));
}

interface OpenBackup {
  exportId: number;
  storage: ImageExportApi;
  readonly timer: NodeJS.Timeout;
  /** The engine has sent its last piece (the export there is over). */
  done: boolean;
  /** What the engine sent that did not fit the replies so far: one pair can outgrow a reply. */
  rest: Buffer;
  /** The CHUNK being served: a pipelined one waits for it, so pieces go out in order. */
  serving: Promise<unknown>;
}

const EMPTY = Buffer.alloc(0);

const openByNode = new WeakMap<NodeState, Map<string, OpenBackup>>();

function backupsOf(node: NodeState): Map<string, OpenBackup> {
  let m = openByNode.get(node);
  if (!m) openByNode.set(node, (m = new Map()));
  return m;
}

export const backup: Handler = async (ctx, args, version) => {
  const sub = (args[1] as Buffer).toString('latin1').toUpperCase();
  const open = backupsOf(ctx.node);
  if (sub === 'BEGIN') {
    if (args.length !== 2) throw new CommandError('ERR usage: BACKUP BEGIN');
    if (open.size >= MAX_OPEN_BACKUPS) {
      throw new CommandError(
        `ERR ${MAX_OPEN_BACKUPS} backups are already running on this node; wait for one to finish (or ${BACKUP_IDLE_MS / 1000} s for an abandoned one to expire) or use another node`,
      );
    }
    const r = ctx.node.replication;
    // Linearizable even on a READONLY connection: a backup is a read of everything.
    if (r) await r.readBarrier({ id: ctx.client.id, staleReads: false }, 'backup-not-begun');
    const storage = ctx.node.storage.api();
    const info = await storage.imageExportBegin(KEYSPACE_GROUP);
    const id = randomBytes(8).toString('hex');
    const b: OpenBackup = {
      exportId: info.id,
      storage,
      timer: idle(open, id),
      done: false,
      rest: EMPTY,
      serving: Promise.resolve(),
    };
    open.set(id, b);
    const status = r?.status();
    return encodeReply(
      {
        type: 'array',
        value: [
          { type: 'bulk', value: Buffer.from(id) },
          { type: 'integer', value: info.appliedIndex },
          { type: 'integer', value: status?.term ?? 0 },
          { type: 'integer', value: info.keys },
          { type: 'bulk', value: Buffer.from(r?.clusterId ?? '') },
        ],
      },
      version,
    );
  }
  if (sub !== 'CHUNK' && sub !== 'END') {
    throw new CommandError(
      `ERR unknown BACKUP subcommand '${sub}'; use BEGIN, CHUNK <id> or END <id>`,
    );
  }
  if (args.length !== 3) throw new CommandError(`ERR usage: BACKUP ${sub} <id>`);
  const id = (args[2] as Buffer).toString('latin1');
  const b = open.get(id);
  if (sub === 'END') {
    if (b) {
      end(open, id, b);
      if (!b.done)
        await b.storage.imageSessionEnd(KEYSPACE_GROUP, b.exportId).catch(() => undefined);
    }
    return encodeSimple('OK');
  }
  if (!b) {
    throw new CommandError(
      `ERR no backup ${id} is running on this node (it ended, or was idle for ${BACKUP_IDLE_MS / 1000} s); start again with BACKUP BEGIN`,
    );
  }
  b.timer.refresh();
  const next = b.serving.then(() => nextPiece(b, backupChunkBytes(ctx.node.limits)));
  b.serving = next.catch(() => undefined);
  let piece: Buffer | null;
  try {
    piece = await next;
  } catch (err) {
    // The engine restarted (its read snapshot is gone) or the export expired there.
    end(open, id, b);
    throw new CommandError(
      `ERR backup ${id} was interrupted: ${(err as Error).message}; start again with BACKUP BEGIN`,
    );
  }
  if (piece === null) end(open, id, b);
  return encodeBulk(piece, version);
};

/** The next `max` bytes (at most) of the image; null once all of it went out. */
async function nextPiece(b: OpenBackup, max: number): Promise<Buffer | null> {
  if (b.rest.length === 0) {
    if (b.done) return null;
    const { chunk, last } = await b.storage.imageExportChunk(KEYSPACE_GROUP, b.exportId, max);
    b.rest = chunk;
    b.done = last;
  }
  const piece = b.rest.subarray(0, max);
  b.rest = b.rest.subarray(piece.length);
  return piece;
}

function idle(open: Map<string, OpenBackup>, id: string): NodeJS.Timeout {
  const t = setTimeout(() => {
    const b = open.get(id);
    if (!b) return;
    end(open, id, b);
    void b.storage.imageSessionEnd(KEYSPACE_GROUP, b.exportId).catch(() => undefined);
  }, BACKUP_IDLE_MS);
  t.unref();
  return t;
}

function end(open: Map<string, OpenBackup>, id: string, b: OpenBackup): void {
  clearTimeout(b.timer);
  open.delete(id);
}
