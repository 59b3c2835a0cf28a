// A minimal RESP connection for the closed loop: one socket, one prepared
// request in flight, its reply recognised by length alone. Leaner than the
// full client library (no timers, queues or reply objects per request), so
// the load generator's CPU goes to the systems being measured.

import { connect, type Socket } from 'node:net';
import type { KvConnection } from './driver.js';
import { replyLength, type RespFrames } from './resp-frames.js';

export async function connectResp(
  host: string,
  port: number,
  frames: RespFrames,
): Promise<KvConnection> {
  const socket = connect({ host, port, noDelay: true });
  await new Promise<void>((ok, fail) => {
    socket.once('connect', ok);
    socket.once('error', fail);
  });
  return new RespConnection(socket, frames, `${host}:${port}`);
}

class RespConnection implements KvConnection {
  private buffered: Buffer | null = null;
  private resolve: (() => void) | null = null;
  private reject: ((e: Error) => void) | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly frames: RespFrames,
    address: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new Error(`${address}: ${e.message}`)));
    socket.on('close', () => this.fail(new Error(`${address} closed the connection`)));
  }

  put(k: number): Promise<void> {
    return this.send(this.frames.set[k] as Buffer);
  }

  get(k: number): Promise<void> {
    return this.send(this.frames.get[k] as Buffer);
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((ok) => this.socket.once('close', () => ok()));
    this.socket.end();
    await closed;
  }

  private send(frame: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.resolve) return Promise.reject(new Error('one request at a time on a connection'));
    return new Promise<void>((ok, fail) => {
      this.resolve = ok;
      this.reject = fail;
      this.socket.write(frame);
    });
  }

  private onData(chunk: Buffer): void {
    const buf = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    let len: number;
    try {
      len = replyLength(buf);
    } catch (e) {
      this.fail(e as Error);
      this.socket.destroy();
      return;
    }
    if (len < 0) {
      this.buffered = buf;
      return;
    }
    this.buffered = null;
    const ok = this.resolve;
    const fail = this.reject;
    this.resolve = this.reject = null;
    if (len !== buf.length) {
      this.failure ??= new Error('a reply came that no request asked for');
      fail?.(this.failure);
      this.socket.destroy();
    } else if (buf[0] === 0x2d /* - */) {
      fail?.(new Error(buf.toString('utf8', 1, len - 2)));
    } else {
      ok?.();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const fail = this.reject;
    this.resolve = this.reject = null;
    fail?.(this.failure);
  }
}
