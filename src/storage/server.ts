// The storage engine process's core: owns the backend, listens on a Unix
// socket (mode 0600), serves connections, and shuts down cleanly (stop
// accepting, finish accepted commits, close the backend, remove the socket).

import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import type { StorageBackend } from './backend.js';
import { StorageConnection, type ConnectionLimits } from './connection.js';
import { lockDataDir } from './data-dir-lock.js';
import { checkFrame } from './frame-check.js';
import { GroupCommitter } from './group-commit.js';
import { ImageSessions } from './image-sessions.js';
import { LmdbBackend, type StorageFailed } from './lmdb-backend.js';
import { DEFAULT_MAX_FRAME_BYTES, MIN_MAX_FRAME_BYTES } from './protocol.js';

export const DEFAULT_MAX_IN_FLIGHT = 1024;
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_SCAN_LIMIT = 10_000;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface StorageServerOptions {
  dataDir: string;
  socketPath: string;
  maxFrameBytes?: number;
  maxInFlight?: number;
  log?: Logger;
  /**
   * The Raft log or an LMDB commit failed (disk full, I/O error): the engine
   * cannot serve again until it restarts and replays what is durable.
   */
  onStorageFailed?: StorageFailed;
}

/** The socket path cannot be used (served by another process, not a socket, too long): a person must act. */
export class StorageSocketError extends Error {
  override name = 'StorageSocketError';
}

export class StorageServer {
  private readonly connections = new Set<StorageConnection>();
  private closing: Promise<void> | null = null;

  private constructor(
    readonly socketPath: string,
    private readonly server: Server,
    private readonly backend: StorageBackend,
    private readonly committer: GroupCommitter,
    private readonly images: ImageSessions,
    private readonly unlock: () => void,
  ) {}

  static async start(opts: StorageServerOptions): Promise<StorageServer> {
    const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < MIN_MAX_FRAME_BYTES) {
      throw new RangeError(`max frame size must be at least ${MIN_MAX_FRAME_BYTES} bytes`);
    }
    const log = opts.log ?? pino({ name: 'storage', level: 'warn' }, pino.destination(2));
    if (Buffer.byteLength(opts.socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new StorageSocketError(
        `socket path ${opts.socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit for Unix sockets; choose a shorter one with --socket`,
      );
    }
    mkdirSync(opts.dataDir, { recursive: true });
    mkdirSync(dirname(opts.socketPath), { recursive: true });
    await clearStaleSocket(opts.socketPath);
    const unlock = lockDataDir(opts.dataDir);
    let backend: LmdbBackend;
    try {
      backend = new LmdbBackend(opts.dataDir, {
        log,
        ...(opts.onStorageFailed ? { onFailed: opts.onStorageFailed } : {}),
      });
    } catch (err) {
      unlock();
      throw err;
    }
    try {
      checkFrame(backend.largestLogEntries(), maxFrameBytes);
    } catch (err) {
      await backend.close();
      unlock();
      throw err;
    }
    // A failed commit can lose writes already answered (group-commit.ts):
    // dropping every connection makes each coordinator reload what is durable.
    const committer = new GroupCommitter(backend, {
      onLost: (err) => {
        log.error(
          { err },
          'a commit failed after answering some of its writes; closing connections',
        );
        for (const c of self.connections) c.destroy();
      },
    });
    const images = new ImageSessions(backend, committer, maxFrameBytes);
    const limits: ConnectionLimits = {
      maxFrameBytes,
      maxInFlight: opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
      maxScanLimit: DEFAULT_MAX_SCAN_LIMIT,
    };
    const server = createServer();
    const self = new StorageServer(opts.socketPath, server, backend, committer, images, unlock);
    server.on('connection', (socket: Socket) => {
      const conn = new StorageConnection(socket, { backend, committer, images, limits, log });
      self.connections.add(conn);
      socket.on('close', () => self.connections.delete(conn));
    });
    try {
      await listenPrivately(server, opts.socketPath);
    } catch (err) {
      await backend.close();
      unlock();
      throw err;
    }
    return self;
  }

  /** Stops accepting, lets accepted writes commit, closes the backend, removes the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await this.committer.close();
      for (const c of this.connections) c.destroy();
      await stopped;
      this.images.closeAll();
      await this.backend.close();
      this.unlock();
      try {
        unlinkSync(this.socketPath);
      } catch {
        // Already gone.
      }
    })();
    return this.closing;
  }
}

/** Removes a socket file left by a dead engine; refuses one a live process serves. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // Nothing there.
  }
  if (!isSocket) {
    throw new StorageSocketError(
      `${path} exists and is not a socket; remove it or choose another path with --socket`,
    );
  }
  if (await answers(path)) {
    throw new StorageSocketError(
      `another process is serving ${path} (it accepted a connection); stop that storage engine or choose another path with --socket`,
    );
  }
  unlinkSync(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (live: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(true), 2000);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Listens with umask 0177 so the socket is never reachable by others, then pins mode 0600. */
async function listenPrivately(server: Server, path: string): Promise<void> {
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
}
