// Shared by the coordinator end-to-end tests: a real node (storage engine and
// coordinator as separate processes on a temp dir and a free port) and a raw
// TCP connection that speaks RESP byte for byte.

import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import type { RespValue } from '../../src/resp/types.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';

export interface TestNode {
  port: number;
  dataDir: string;
  socket: string;
  storage: Proc;
  coordinator: Proc;
  /** Starts a new storage engine on the same data dir and socket (after the old one died). */
  restartStorage(): Promise<void>;
  stop(): Promise<void>;
}

const STORAGE_READY = /distdb storage ready/;
const COORDINATOR_READY = /distdb coordinator ready host=\S+ port=(\d+)/;

async function startStorage(dataDir: string, socket: string): Promise<Proc> {
  const p = startDistdb(['storage', '--data-dir', dataDir, '--socket', socket]);
  try {
    await p.waitFor(STORAGE_READY);
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}

/** A node with the given extra coordinator flags (e.g. ['--max-clients', '2']). */
export async function startNode(coordinatorFlags: string[] = []): Promise<TestNode> {
  const dir = tempDir('distdb-coord-');
  const dataDir = join(dir.path, 'data');
  const socket = join(dir.path, 'storage.sock');
  let storage: Proc | null = null;
  let coordinator: Proc | null = null;
  const stop = async (): Promise<void> => {
    await coordinator?.stop();
    await storage?.stop();
    dir.remove();
  };
  try {
    storage = await startStorage(dataDir, socket);
    const port = await freePort();
    coordinator = startDistdb([
      'coordinator',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--socket',
      socket,
      ...coordinatorFlags,
    ]);
    await coordinator.waitFor(COORDINATOR_READY);
    const node: TestNode = {
      port,
      dataDir,
      socket,
      storage,
      coordinator,
      async restartStorage() {
        storage = await startStorage(dataDir, socket);
        node.storage = storage;
      },
      stop,
    };
    return node;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A raw client connection: send bytes, read parsed replies, see when the server closes. */
export class RawConnection {
  private readonly parser = new ReplyParser();
  private readonly replies: RespValue[] = [];
  private waiter: (() => void) | null = null;
  /** Chunks received since the last clearReceived(), joined only when asked for (no copy per chunk). */
  private chunks: Buffer[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.parser.push(chunk);
      for (let v = this.parser.next(); v !== null; v = this.parser.next()) this.replies.push(v);
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host: '127.0.0.1' }, () =>
        resolve(new RawConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** Raw bytes received, for assertions on exact encodings. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  clearReceived(): void {
    this.chunks = [];
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits for `n` more replies (or the connection to close; then fewer come back). */
  async read(n: number, timeoutMs = 10_000): Promise<RespValue[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < n && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${n} replies, got ${this.replies.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.replies.splice(0, n);
  }

  async command(...args: Array<string | Buffer>): Promise<RespValue> {
    this.write(encodeCommand(args));
    const [reply] = await this.read(1);
    if (reply === undefined)
      throw new Error(`connection closed before replying to ${String(args[0])}`);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Text of a bulk/simple/verbatim reply, `(nil)` for nulls, `(error) …` for errors. */
export function text(v: RespValue | undefined): string {
  if (v === undefined) return '(no reply)';
  switch (v.type) {
    case 'bulk':
      return v.value === null ? '(nil)' : Buffer.from(v.value).toString('utf8');
    case 'simple':
    case 'verbatim':
      return v.value;
    case 'error':
      return `(error) ${v.value}`;
    case 'integer':
      return String(v.value);
    case 'null':
      return '(nil)';
    case 'array':
      return v.value === null ? '(nil)' : `[${v.value.map(text).join(', ')}]`;
    default:
      return JSON.stringify(v);
  }
}

/** Checks the node still serves a client correctly: a fresh write and read on `conn`. */
export async function assertServes(conn: RawConnection, tag: string): Promise<void> {
  const key = `probe:${tag}:${Math.random().toString(36).slice(2)}`;
  const set = text(await conn.command('SET', key, tag));
  const get = text(await conn.command('GET', key));
  if (set !== 'OK' || get !== tag) {
    throw new Error(`node did not serve the probe client (${tag}): SET → ${set}, GET → ${get}`);
  }
}
