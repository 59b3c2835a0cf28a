// A fault injector on a storage engine's Unix socket, like the fault ring's
// iptables rules (not a mock): the coordinator connects to the proxy's
// socket, and every frame goes on to the real engine and back unchanged. A
// test can hold the engine's replies to one op (e.g. the raft-append replies:
// a node's own log write is durable only once its reply is back) and release
// them later, so what the coordinator does before its write is durable
// becomes visible. Replies are matched to their op by request id; holding one
// reply while the others go on is a reordering the protocol allows. It can
// also withhold requests of one op from the engine (say the applies: a
// commit answered before its apply, then the engine killed), never to send
// them: the coordinator waits for their answers until the connection goes.

import { chmodSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder, FrameWriter, type Frame } from '../../src/storage/frame-codec.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/storage/protocol.js';

/** The largest frame passed on either way: the client's own limit for replies. */
const MAX_FRAME_BYTES = 4 * DEFAULT_MAX_FRAME_BYTES;

interface Waiter {
  op: number;
  count: number;
  resolve(): void;
  timer: NodeJS.Timeout;
}

export class StorageProxy {
  private readonly holding = new Set<number>();
  /** Ops whose requests are not passed on, and how many were withheld. */
  private readonly withholding = new Set<number>();
  private readonly withheldCount = new Map<number, number>();
  /** Held reply frames of each op, in the order the engine sent them. */
  private readonly held = new Map<number, Array<{ to: Socket; frame: Buffer }>>();
  private readonly sockets = new Set<Socket>();
  /** Requests passed on to the engine, by op. */
  private readonly sent = new Map<number, number>();
  private waiters: Waiter[] = [];

  private constructor(
    private readonly server: Server,
    private readonly enginePath: string,
  ) {}

  /** Listens on `path` (mode 0600, as the engine's own socket) and forwards to the engine at `enginePath`. */
  static async start(path: string, enginePath: string): Promise<StorageProxy> {
    const server = createServer();
    const proxy = new StorageProxy(server, enginePath);
    server.on('connection', (s) => proxy.pipe(s));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(path, () => ok());
    });
    chmodSync(path, 0o600);
    return proxy;
  }

  /** From now on, the engine's replies to requests of `op` wait until release(op). */
  hold(op: number): void {
    this.holding.add(op);
  }

  /** Passes every held reply of `op` on, in order, and stops holding it. */
  release(op: number): void {
    this.holding.delete(op);
    for (const { to, frame } of this.held.get(op) ?? []) if (!to.destroyed) to.write(frame);
    this.held.delete(op);
  }

  /** From now on, requests of `op` are not passed on to the engine, until passOn(op). */
  withhold(op: number): void {
    this.withholding.add(op);
  }

  passOn(op: number): void {
    this.withholding.delete(op);
  }

  /** Requests of `op` withheld so far. */
  withheld(op: number): number {
    return this.withheldCount.get(op) ?? 0;
  }

  /** Replies of `op` held right now. */
  heldCount(op: number): number {
    return this.held.get(op)?.length ?? 0;
  }

  /** Requests of `op` passed on to the engine so far. */
  requests(op: number): number {
    return this.sent.get(op) ?? 0;
  }

  /** Resolves once at least `count` replies of `op` are held; rejects after `timeoutMs`. */
  waitHeld(op: number, count = 1, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        op,
        count,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(
            new Error(
              `${this.heldCount(op)} of ${count} replies of op ${op} held after ${timeoutMs} ms: ` +
                'was it held (hold), and did the coordinator send such a request?',
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(w);
      this.wake();
    });
  }

  /** Stops listening and drops every connection (held replies are never sent). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    this.held.clear();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private pipe(client: Socket): void {
    const engine = createConnection(this.enginePath);
    this.sockets.add(client).add(engine);
    const ops = new Map<number, number>();
    const requests = new FrameDecoder(MAX_FRAME_BYTES);
    const replies = new FrameDecoder(MAX_FRAME_BYTES);
    const drop = (): void => {
      client.destroy();
      engine.destroy();
      this.sockets.delete(client);
      this.sockets.delete(engine);
    };
    client.on('data', (chunk: Buffer) => {
      const pass: Buffer[] = [];
      try {
        requests.push(chunk, (f) => {
          if (this.withholding.has(f.op)) {
            this.withheldCount.set(f.op, this.withheld(f.op) + 1);
            return;
          }
          ops.set(f.requestId, f.op);
          this.sent.set(f.op, this.requests(f.op) + 1);
          pass.push(encode(f));
        });
      } catch {
        drop();
        return;
      }
      if (pass.length > 0) engine.write(Buffer.concat(pass));
    });
    engine.on('data', (chunk: Buffer) => {
      try {
        replies.push(chunk, (f) => {
          const op = ops.get(f.requestId) ?? f.op;
          ops.delete(f.requestId);
          this.reply(client, op, f);
        });
      } catch {
        drop();
      }
    });
    for (const s of [client, engine]) {
      s.on('error', drop);
      s.on('close', drop);
    }
  }

  private reply(client: Socket, op: number, f: Frame): void {
    const frame = encode(f);
    if (!this.holding.has(op)) {
      client.write(frame);
      return;
    }
    const list = this.held.get(op) ?? [];
    list.push({ to: client, frame });
    this.held.set(op, list);
    this.wake();
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.heldCount(w.op) < w.count) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }
}

/** `f` as the bytes of a frame again. */
function encode(f: Frame): Buffer {
  return new FrameWriter(f.requestId, f.op, f.group, f.payload.length).raw(f.payload).finish();
}
