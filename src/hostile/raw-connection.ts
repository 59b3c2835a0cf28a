// A raw RESP client connection: sends bytes exactly as given (a hostile
// client's, or a test's byte-for-byte request), reads parsed replies, sees
// when the server closes. Shared by the e2e tests and npm run attack-report.

import { connect as tcpConnect, type Socket } from 'node:net';
import { encodeCommand } from '../resp/command-encoder.js';
import { ReplyParser } from '../resp/reply-parser.js';
import type { RespValue } from '../resp/types.js';

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
