// The distdb client: one TCP connection, many requests in flight on it
// (pipelining; the server answers in order, so replies are matched first in,
// first out), a timeout per request, and reconnection with backoff.

import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parsePeerAddress, type PeerAddress } from '../peer/address.js';
import { clientTlsErrorMessage } from '../tls/tls-errors.js';
import { encodeCommand, ReplyParser } from '../resp/index.js';
import type { RespValue } from '../resp/types.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';
import { AuthError, ConnectionError, DistdbError, replyError, TimeoutError } from './errors.js';
import { Fifo } from './fifo.js';
import { toReply, type Reply } from './reply.js';

/** A command argument: bytes, or text (sent as UTF-8), or a number (sent as its decimal text). */
export type Arg = string | number | Uint8Array;

export interface ConnectOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7379. */
  port?: number;
  /**
   * Several nodes of one cluster, as `host:port` (instead of host and port).
   * The client talks to one at a time; when it cannot reach that one it
   * moves on to the next, so any live node will do.
   */
  nodes?: readonly string[];
  /** How long a request may take, from the call until its reply, in ms (0: no limit). Default 5000. */
  timeoutMs?: number;
  /** How long one TCP connection attempt may take, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * Reconnect when the connection drops (default true). Requests in flight
   * when it drops fail with ConnectionError; new requests wait for the
   * reconnection, up to their timeout.
   */
  reconnect?: boolean;
  /** First reconnection delay in ms, doubled on each failure. Default 50. */
  reconnectDelayMs?: number;
  /** Longest reconnection delay in ms. Default 2000. */
  maxReconnectDelayMs?: number;
  /** Most requests outstanding (in flight or waiting) at once; more are refused. Default 100000. */
  maxPending?: number;
  /** User to authenticate as (AUTH user password); default: the node's default user. */
  user?: string;
  /** Password, sent with AUTH on every (re)connection before any request. */
  password?: string;
  /** Connect with TLS (the node must be started with --tls-cert); absent: plain TCP. */
  tls?: ClientTlsOptions;
}

export interface ClientTlsOptions {
  /** PEM CA certificate(s) the node's certificate must be signed by; default: the system's CAs. */
  ca?: string | Buffer | undefined;
  /** Where `ca` came from, named in error messages. */
  caPath?: string | undefined;
  /** PEM client certificate and key, for nodes started with --tls-client-auth. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** Name the node's certificate must carry; default: the host (IP addresses are checked against the certificate's IP names). */
  servername?: string | undefined;
}

interface Pending {
  /** The command's name, for error messages. */
  name: string;
  /** The encoded command until it is written. */
  payload: Buffer | null;
  resolve(v: RespValue): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** Written to a socket (so it may have been carried out). */
  sent: boolean;
  /** Settled already (timed out): its reply, if one comes, is dropped. */
  done: boolean;
}

type State = 'connecting' | 'ready' | 'waiting' | 'closed';

/** Opens a connection; resolves once it is up, rejects with ConnectionError if the first attempt fails. */
export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const client = new Client(options);
  await client.ready;
  return client;
}

export class Client {
  /** The nodes to try, in order; `current` is the one in use. */
  private readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  private current = 0;
  readonly timeoutMs: number;
  /** Resolves when the first connection is up; rejects if it cannot be made. */
  readonly ready: Promise<void>;

  private readonly opts: Required<
    Omit<ConnectOptions, 'host' | 'port' | 'nodes' | 'timeoutMs' | 'user' | 'password' | 'tls'>
  >;
  /** The AUTH command sent first on each connection, or null without credentials. */
  private readonly authCommand: Buffer | null;
  /** Why the server refused the credentials on the latest connection, if it did. */
  private authError: AuthError | null = null;
  private readonly tls: ClientTlsOptions | undefined;
  private socket: Socket | null = null;
  private parser = new ReplyParser();
  private state: State = 'connecting';
  private readonly inflight = new Fifo<Pending>();
  private readonly waiting = new Fifo<Pending>();
  /** Requests not yet settled, in flight or waiting. */
  private outstanding = 0;
  private attempt = 0;
  private everConnected = false;
  private lastError = '';
  private corked = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private onIdle: (() => void) | null = null;

  constructor(options: ConnectOptions = {}) {
    this.nodes =
      options.nodes !== undefined && options.nodes.length > 0
        ? options.nodes.map(parseAddress)
        : [{ host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT }];
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.opts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      reconnect: options.reconnect ?? true,
      reconnectDelayMs: options.reconnectDelayMs ?? 50,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2000,
      maxPending: options.maxPending ?? 100_000,
    };
    if (options.user !== undefined && options.password === undefined) {
      throw new DistdbError('a user needs a password: give both user and password, or neither');
    }
    this.authCommand =
      options.password === undefined
        ? null
        : encodeCommand(
            options.user === undefined
              ? ['AUTH', options.password]
              : ['AUTH', options.user, options.password],
          );
    this.tls = options.tls;
    let readyOk: () => void = () => {};
    let readyFail: (e: Error) => void = () => {};
    this.ready = new Promise<void>((ok, fail) => {
      readyOk = ok;
      readyFail = fail;
    });
    // A caller that never awaits `ready` must not get an unhandled rejection.
    this.ready.catch(() => undefined);
    this.open(readyOk, readyFail);
  }

  /** The node in use (or being connected to). */
  get host(): string {
    return (this.nodes[this.current] as { host: string }).host;
  }

  get port(): number {
    return (this.nodes[this.current] as { port: number }).port;
  }

  /** `host:port`, for messages. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  /**
   * Sends a command and resolves with the reply as parsed, error replies
   * included (they resolve, not reject). For shells and tools that print replies.
   */
  raw(args: readonly Arg[], timeoutMs = this.timeoutMs): Promise<RespValue> {
    return this.send(args, commandName(args), timeoutMs);
  }

  /** Sends a command; resolves with its reply, rejects with ReplyError on an error reply. */
  async command(...args: Arg[]): Promise<Reply> {
    const name = commandName(args);
    const v = await this.send(args, name, this.timeoutMs);
    if (v.type === 'error') throw replyError(v.value, name);
    return toReply(v, name);
  }

  private send(args: readonly Arg[], name: string, timeoutMs: number): Promise<RespValue> {
    if (this.state === 'closed') {
      return Promise.reject(new ConnectionError(`the client for ${this.address} is closed`));
    }
    if (this.outstanding >= this.opts.maxPending) {
      return Promise.reject(
        new DistdbError(
          `too many requests outstanding (maxPending=${this.opts.maxPending}); wait for replies before sending more`,
        ),
      );
    }
    const payload = encodeCommand(args.map((a) => (typeof a === 'number' ? String(a) : a)));
    return new Promise<RespValue>((resolve, reject) => {
      const p: Pending = {
        name,
        payload,
        resolve,
        reject,
        timer: undefined,
        sent: false,
        done: false,
      };
      this.outstanding++;
      if (timeoutMs > 0) p.timer = setTimeout(() => this.expire(p, timeoutMs), timeoutMs);
      if (this.state === 'ready') this.write(p);
      else this.waiting.push(p);
    });
  }

  async ping(message?: Arg): Promise<string> {
    const r = await this.command(...(message === undefined ? ['PING'] : ['PING', message]));
    return Buffer.isBuffer(r) ? r.toString('utf8') : String(r);
  }

  /** The value of `key`, or null when it does not exist. */
  async get(key: Arg): Promise<Buffer | null> {
    return expectBulk(await this.command('GET', key), 'GET');
  }

  /** Like get, decoded as UTF-8. */
  async getString(key: Arg): Promise<string | null> {
    const v = await this.get(key);
    return v === null ? null : v.toString('utf8');
  }

  /**
   * Sets `key` to `value`. With `nx` (only if absent) or `xx` (only if present)
   * resolves false when the condition did not hold; otherwise true.
   */
  async set(key: Arg, value: Arg, opts: { nx?: boolean; xx?: boolean } = {}): Promise<boolean> {
    const args: Arg[] = ['SET', key, value];
    if (opts.nx) args.push('NX');
    if (opts.xx) args.push('XX');
    const r = await this.command(...args);
    return r !== null;
  }

  /** The original system's name for set. */
  put(key: Arg, value: Arg): Promise<boolean> {
    return this.set(key, value);
  }

  /** Deletes keys; resolves with how many existed. */
  async del(...keys: Arg[]): Promise<number> {
    return expectInteger(await this.command('DEL', ...keys), 'DEL');
  }

  /**
   * INCRBY: adds `by` (default 1, may be negative) to the integer stored at
   * `key` (absent: 0) and resolves with the sum, exact as a bigint. A value
   * that is not a base-10 64-bit integer, or a sum out of that range, is a
   * ReplyError and changes nothing.
   */
  async incr(key: Arg, by: number | bigint = 1): Promise<bigint> {
    const r = await this.command('INCRBY', key, String(by));
    if (typeof r !== 'number' && typeof r !== 'bigint') throw unexpected('INCRBY', r);
    return BigInt(r);
  }

  /**
   * INCRBYFLOAT: adds `by` to the key's decimal value (absent: 0); resolves
   * with the new value as the server's text (e.g. '10.5', '3.0e3' becomes
   * '3000'), which a JavaScript number could round: Number() it if that is fine.
   */
  async incrByFloat(key: Arg, by: number | string): Promise<string> {
    const r = expectBulk(await this.command('INCRBYFLOAT', key, String(by)), 'INCRBYFLOAT');
    if (r === null) throw unexpected('INCRBYFLOAT', r);
    return r.toString();
  }

  /** APPEND: adds `value` to the end of the key's value (absent: empty); resolves with the new length. */
  async append(key: Arg, value: Arg): Promise<number> {
    return expectInteger(await this.command('APPEND', key, value), 'APPEND');
  }

  /** GETDEL: deletes the key and resolves with the value it had, or null. */
  async getDel(key: Arg): Promise<Buffer | null> {
    return expectBulk(await this.command('GETDEL', key), 'GETDEL');
  }

  /** How many of the keys exist (a key named twice counts twice). */
  async exists(...keys: Arg[]): Promise<number> {
    return expectInteger(await this.command('EXISTS', ...keys), 'EXISTS');
  }

  async mget(keys: readonly Arg[]): Promise<Array<Buffer | null>> {
    const r = await this.command('MGET', ...keys);
    if (!Array.isArray(r)) throw unexpected('MGET', r);
    return r.map((v) => expectBulk(v, 'MGET'));
  }

  /** Sets several keys at once, from an object or from [key, value] pairs. */
  async mset(pairs: Record<string, Arg> | ReadonlyArray<readonly [Arg, Arg]>): Promise<void> {
    const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
    const args: Arg[] = ['MSET'];
    for (const [k, v] of list) args.push(k, v);
    await this.command(...args);
  }

  /** Every key (matching `match`, a glob), fetched page by page with SCAN. */
  async *scan(opts: { match?: Arg; count?: number } = {}): AsyncGenerator<Buffer> {
    let cursor = '0';
    do {
      const args: Arg[] = ['SCAN', cursor];
      if (opts.match !== undefined) args.push('MATCH', opts.match);
      if (opts.count !== undefined) args.push('COUNT', opts.count);
      const r = await this.command(...args);
      if (!Array.isArray(r) || r.length !== 2 || !Buffer.isBuffer(r[0]) || !Array.isArray(r[1])) {
        throw unexpected('SCAN', r);
      }
      cursor = r[0].toString('latin1');
      for (const k of r[1]) {
        if (!Buffer.isBuffer(k)) throw unexpected('SCAN', r);
        yield k;
      }
    } while (cursor !== '0');
  }

  /**
   * Closes the connection once every request already sent has its reply (or
   * has timed out). Requests still waiting for a connection fail. Resolves
   * when the socket is closed.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' && this.socket === null) return;
    const wasConnecting = this.state !== 'ready';
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.failAll(this.waiting, new ConnectionError(`the client for ${this.address} was closed`));
    const sock = this.socket;
    if (sock === null) return;
    if (wasConnecting) {
      sock.destroy();
    } else if (this.outstanding > 0) {
      await new Promise<void>((ok) => (this.onIdle = ok));
    }
    if (sock.destroyed) return;
    await new Promise<void>((ok) => {
      sock.once('close', () => ok());
      sock.end();
      // A server that never closes its side must not keep us waiting.
      setTimeout(() => sock.destroy(), 1000).unref();
    });
  }

  private open(onReady?: () => void, onFail?: (e: Error) => void): void {
    this.state = 'connecting';
    const sock = this.dial();
    this.socket = sock;
    sock.setNoDelay(true);
    const connectTimer = setTimeout(
      () => sock.destroy(new Error(`no answer within ${this.opts.connectTimeoutMs} ms`)),
      this.opts.connectTimeoutMs,
    );
    const becomeReady = (): void => {
      clearTimeout(connectTimer);
      this.state = 'ready';
      this.everConnected = true;
      this.lastError = ''; // a reason from an earlier connection no longer applies
      this.flushWaiting();
      onReady?.();
    };
    sock.once(this.tls ? 'secureConnect' : 'connect', () => {
      if (this.state === 'closed') {
        clearTimeout(connectTimer);
        sock.destroy();
        return;
      }
      this.parser = new ReplyParser();
      this.authError = null;
      if (this.authCommand === null) becomeReady();
      else this.authenticate(sock, this.authCommand, becomeReady);
    });
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => {
      this.lastError = this.tls
        ? (clientTlsErrorMessage(err, {
            address: this.address,
            host: this.host,
            caGiven: this.tls.ca !== undefined,
            caPath: this.tls.caPath,
          }) ?? err.message)
        : err.message;
    });
    sock.once('close', () => {
      clearTimeout(connectTimer);
      if (this.socket === sock) this.socket = null;
      this.corked = false;
      const sent = new ConnectionError(
        `connection to ${this.address} lost before the reply arrived (${this.lastError || 'closed by the server'}); the command may or may not have been carried out`,
        true,
      );
      this.failAll(this.inflight, sent);
      if (!this.everConnected && onFail) {
        if (this.authError !== null) {
          // Every node of a cluster has the same users: trying the others would not help.
          this.state = 'closed';
          this.failAll(this.waiting, this.authError);
          onFail(this.authError);
          return;
        }
        if (this.current + 1 < this.nodes.length) {
          this.current++; // the first connection may be made to any of the nodes
          this.open(onReady, onFail);
          return;
        }
        // Every first attempt failed: the caller of connect() decides what to do.
        this.state = 'closed';
        const where =
          this.nodes.length === 1
            ? this.address
            : `any of ${this.nodes.map((n) => `${n.host}:${n.port}`).join(', ')}`;
        const err = new ConnectionError(
          `cannot connect to ${where}: ${this.lastError || 'connection closed'}`,
        );
        this.failAll(this.waiting, err);
        onFail(err);
        return;
      }
      if (this.state === 'closed' || !this.opts.reconnect) {
        this.state = 'closed';
        this.failAll(this.waiting, new ConnectionError(`not connected to ${this.address}`));
        return;
      }
      this.scheduleReconnect();
    });
  }

  /**
   * Sends AUTH before anything else on a new connection; requests wait until
   * it succeeds. Refused credentials fail the waiting requests with AuthError
   * and drop the connection (connect() rejects; a reconnection retries later).
   * Any other error reply is the node refusing the connection, whatever the
   * credentials: it fails like a refused connection (ConnectionError).
   */
  private authenticate(sock: Socket, command: Buffer, onOk: () => void): void {
    const settle = (v: RespValue | Error): void => {
      if (v instanceof Error) return; // the connection was lost: its close handler copes
      // OK; or "AUTH <password> called without any password configured": the
      // node needs no password, so the connection is usable as it is.
      if (v.type !== 'error' || v.value.includes('without any password configured')) {
        onOk();
        return;
      }
      const refusal = replyError(v.value, 'AUTH');
      if (refusal instanceof AuthError) {
        this.authError = refusal;
        this.lastError = `the server refused the credentials: ${v.value}`;
        this.failAll(this.waiting, refusal);
      } else {
        // Not about the credentials: the node refuses the connection itself
        // (requires TLS, protected mode, too many clients), as it would without AUTH.
        this.lastError = v.value;
      }
      sock.destroy();
    };
    sock.write(command);
    this.outstanding++;
    this.inflight.push({
      name: 'AUTH',
      payload: null,
      resolve: settle,
      reject: settle,
      timer: undefined,
      sent: true,
      done: false,
    });
  }

  private dial(): Socket {
    const { host, port } = this;
    if (this.tls === undefined) return netConnect({ host, port });
    const { ca, cert, key, servername } = this.tls;
    try {
      return tlsConnect({
        host,
        port,
        ca,
        cert,
        key,
        // SNI takes host names only; an IP address is still checked against the certificate's IP names.
        servername: servername ?? (isIP(host) === 0 ? host : undefined),
      });
    } catch (err) {
      // Unusable PEM (a CA file that is not a certificate, a key of another certificate).
      throw new DistdbError(`cannot use the TLS files given: ${(err as Error).message}`);
    }
  }

  private scheduleReconnect(): void {
    this.state = 'waiting';
    this.current = (this.current + 1) % this.nodes.length; // try the next node
    const base = Math.min(
      this.opts.maxReconnectDelayMs,
      this.opts.reconnectDelayMs * 2 ** Math.min(this.attempt, 20),
    );
    this.attempt++;
    // Jitter keeps many clients of a restarted node from reconnecting in lockstep.
    const delay = base * (0.8 + 0.4 * Math.random());
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private write(p: Pending): void {
    const sock = this.socket as Socket;
    // Requests made in the same tick leave in one write: cork now, uncork on the next tick.
    if (!this.corked) {
      this.corked = true;
      sock.cork();
      process.nextTick(() => {
        this.corked = false;
        sock.uncork();
      });
    }
    sock.write(p.payload as Buffer);
    p.payload = null;
    p.sent = true;
    this.inflight.push(p);
  }

  private flushWaiting(): void {
    for (let p = this.waiting.shift(); p !== undefined; p = this.waiting.shift()) {
      if (!p.done) this.write(p);
    }
  }

  private onData(chunk: Buffer): void {
    this.parser.push(chunk);
    while (true) {
      let v: RespValue | null;
      try {
        v = this.parser.next();
      } catch (err) {
        this.lastError = `malformed reply from the server: ${(err as Error).message}`;
        this.socket?.destroy();
        return;
      }
      if (v === null) return;
      if (v.type === 'push') continue; // out-of-band (RESP3); answers no request
      const p = this.inflight.shift();
      if (p === undefined) {
        // E.g. "-ERR max number of clients reached" sent as the server hangs up.
        this.lastError =
          v.type === 'error'
            ? `the server said: ${v.value}`
            : 'the server sent a reply nobody asked for';
        this.socket?.destroy();
        return;
      }
      // Only a connection that answers counts as recovered: one the server drops
      // straight away (or whose AUTH it refuses) must not be retried at the
      // shortest delay forever.
      if (this.state === 'ready') this.attempt = 0;
      if (p.done) continue;
      this.settle(p);
      p.resolve(v);
    }
  }

  private expire(p: Pending, timeoutMs: number): void {
    if (p.done) return;
    this.settle(p);
    p.reject(
      !p.sent
        ? new ConnectionError(
            `${p.name}: not connected to ${this.address} within ${timeoutMs} ms (${this.lastError || 'connecting'}); is a node running there?`,
          )
        : new TimeoutError(
            `${p.name}: no reply from ${this.address} within ${timeoutMs} ms`,
            timeoutMs,
          ),
    );
  }

  private settle(p: Pending): void {
    p.done = true;
    clearTimeout(p.timer);
    this.outstanding--;
    if (this.outstanding === 0 && this.onIdle) {
      const idle = this.onIdle;
      this.onIdle = null;
      idle();
    }
  }

  private failAll(queue: Fifo<Pending>, err: Error): void {
    for (const p of queue.drain()) {
      if (p.done) continue;
      this.settle(p);
      p.reject(err);
    }
  }
}

/** A node address in `nodes`: host:port or [v6]:port, as peer addresses are written. */
function parseAddress(text: string): PeerAddress {
  try {
    return parsePeerAddress(text, 'a node in nodes');
  } catch (err) {
    throw new DistdbError((err as Error).message);
  }
}

function commandName(args: readonly Arg[]): string {
  const first = args[0];
  if (first === undefined) throw new DistdbError('a command needs at least its name');
  const text =
    typeof first === 'string' || typeof first === 'number'
      ? String(first)
      : Buffer.from(first.buffer, first.byteOffset, first.length).toString('utf8');
  return text.toUpperCase();
}

function unexpected(name: string, r: Reply): DistdbError {
  return new DistdbError(`${name}: unexpected reply ${JSON.stringify(String(r))}`);
}

function expectBulk(r: Reply, name: string): Buffer | null {
  if (r === null || Buffer.isBuffer(r)) return r;
  if (typeof r === 'string') return Buffer.from(r, 'utf8');
  throw unexpected(name, r);
}

function expectInteger(r: Reply, name: string): number {
  if (typeof r === 'number') return r;
  if (typeof r === 'bigint') return Number(r);
  throw unexpected(name, r);
}
