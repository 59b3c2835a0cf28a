// This node's connection to one peer: a bounded queue that never blocks the
// sender, one long-lived TCP connection that drains it in batches (one raft
// frame per flush), redialled with backoff when it breaks, and the requests
// sent on it awaiting replies.

import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { identityProblem, namesOf, peerTlsErrorMessage, type PeerTls } from '../tls/index.js';
import type { Logger } from 'pino';
import { encodeMessage } from '../raft/codec.js';
import type { Message, NodeId } from '../raft/types.js';
import { formatPeerAddress, parsePeerAddress, type PeerAddress } from './address.js';
import { Backoff } from './backoff.js';
import { PeerRequestError, type PeerRequestFailure } from './errors.js';
import { LENGTH_PREFIX_BYTES } from './frame-reader.js';
import { FramedSocket, newTraffic } from './framed-socket.js';
import {
  decodeRefuse,
  decodeResponse,
  decodeWelcome,
  encodeHello,
  encodeRaftBatch,
  encodeRequest,
  FrameKind,
  PeerProtocolError,
  raftFrameSize,
  REQUEST_FRAME_OVERHEAD,
} from './frames.js';
import { preambleProblem } from './handshake.js';
import type { PeerLimits } from './limits.js';
import type { OutboundState, PeerStats } from './types.js';

export interface OutboundContext {
  nodeId: NodeId;
  clusterId: string;
  limits: PeerLimits;
  log: Logger;
  random: () => number;
  /** Source address for dialling (the node's own listen address), so traffic between nodes names both ends' addresses. */
  localAddress: string | undefined;
  /** Mutual TLS with the cluster's certificates; null: plain TCP. */
  tls: PeerTls | null;
  reportUnreachable(peer: NodeId): void;
}

interface Pending {
  resolve(reply: Buffer): void;
  reject(error: PeerRequestError): void;
  timer: NodeJS.Timeout;
}

export class OutboundPeer {
  private stateValue: OutboundState = 'connecting';
  private address: PeerAddress;
  readonly traffic = newTraffic();
  messagesReceived = 0;
  private messagesSent = 0;
  private dropped = 0;
  private connects = 0;
  private connectFailures = 0;
  private lastError: string | null = null;
  private conn: FramedSocket | null = null;
  /** Encoded raft messages waiting for the next flush. */
  private raftQueue: Uint8Array[] = [];
  /** A lazy follower's appends, waiting for the lazy flush (setLazy). */
  private lazyQueue: Uint8Array[] = [];
  private requestQueue: { id: number; frame: Buffer }[] = [];
  private queuedBytes = 0;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private flushScheduled = false;
  /**
   * A lazy follower's appends wait up to this long (ms) to leave together;
   * 0: they leave at the end of the turn, as every other message does.
   */
  private lazyMs = 0;
  private lazyFlush: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  /** A full-queue warning was logged and the queue has not drained since. */
  private warnedFull = false;
  /** With TLS: the names in the current connection's listener certificate. */
  private certNames: string[] | null = null;

  /**
   * `id` '' dials whoever listens at `address` once, for requestAt: the
   * listener does not check the expected id and nothing is redialled.
   */
  constructor(
    readonly id: NodeId,
    address: string,
    private readonly ctx: OutboundContext,
  ) {
    this.address = parsePeerAddress(address, id === '' ? 'the node to contact' : `peer ${id}`);
    this.backoff = new Backoff(
      { initialMs: ctx.limits.backoffInitialMs, maxMs: ctx.limits.backoffMaxMs },
      ctx.random,
    );
    this.dial();
  }

  get state(): OutboundState {
    return this.stateValue;
  }

  get addressText(): string {
    return formatPeerAddress(this.address);
  }

  private get name(): string {
    return this.id === ''
      ? `node at ${this.addressText}`
      : `peer ${this.id} at ${this.addressText}`;
  }

  private get queuedCount(): number {
    return this.raftQueue.length + this.lazyQueue.length + this.requestQueue.length;
  }

  /** Encodes and queues a raft message; false when it was dropped. */
  enqueue(m: Message): boolean {
    const { limits } = this.ctx;
    if (this.stateValue === 'backoff' || this.stateValue === 'closed') {
      this.dropped++;
      return false;
    }
    let message: Uint8Array;
    try {
      message = encodeMessage(m);
    } catch (e) {
      this.dropped++;
      this.ctx.log.error(
        `cannot encode a raft ${m.type} message to ${this.name}: ${(e as Error).message}`,
      );
      return false;
    }
    if (raftFrameSize(1, message.length) - LENGTH_PREFIX_BYTES > limits.maxFrameBytes) {
      this.dropped++;
      this.ctx.log.error(
        `dropped a raft message of ${message.length} bytes to ${this.name}: it exceeds maxFrameBytes ` +
          `(${limits.maxFrameBytes}); keep raft's maxSizePerMsg and snapshotChunkSize below it`,
      );
      return false;
    }
    if (
      this.queuedCount >= limits.maxQueueMessages ||
      this.queuedBytes + message.length > limits.maxQueueBytes
    ) {
      this.dropped++;
      if (!this.warnedFull) {
        this.warnedFull = true;
        this.ctx.log.warn(
          `queue to ${this.name} is full (${this.queuedCount} messages, ${this.queuedBytes} bytes; ` +
            'maxQueueMessages / maxQueueBytes): dropping raft messages until it drains',
        );
      }
      return false;
    }
    this.queuedBytes += message.length;
    if (this.lazyMs > 0 && m.type === 'append') {
      this.lazyQueue.push(message);
      this.scheduleLazyFlush();
    } else {
      // Anything but an append (a heartbeat, a read round) leaves at once,
      // ahead of the appends that wait: Raft allows it (a heartbeat commits a
      // follower no further than what it is known to hold).
      this.raftQueue.push(message);
      this.scheduleFlush();
    }
    return true;
  }

  /**
   * Leader: this follower is not needed for a quorum (lazy-followers.ts), so
   * its appends wait up to `ms` and leave as one frame; 0 sends them at the
   * end of the turn again, and what waits leaves now.
   */
  setLazy(ms: number): void {
    this.lazyMs = ms;
    if (ms === 0) this.releaseLazy();
  }

  get lazy(): boolean {
    return this.lazyMs > 0;
  }

  request(payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const { limits } = this.ctx;
      const fail = (code: PeerRequestFailure, why: string): void =>
        reject(new PeerRequestError(code, `request to ${this.name} failed: ${why}`));
      if (this.stateValue === 'closed')
        return fail('closed', 'the peer was removed or the transport closed');
      if (this.stateValue === 'backoff') {
        return fail('unreachable', `it is unreachable (${this.lastError ?? 'not connected'})`);
      }
      const frameBytes = REQUEST_FRAME_OVERHEAD + payload.length;
      if (frameBytes - LENGTH_PREFIX_BYTES > limits.maxFrameBytes) {
        return fail(
          'too-large',
          `${payload.length} payload bytes exceed maxFrameBytes (${limits.maxFrameBytes})`,
        );
      }
      if (this.pending.size >= limits.maxPendingRequests) {
        return fail(
          'overloaded',
          `${this.pending.size} requests await replies (maxPendingRequests)`,
        );
      }
      if (
        this.queuedCount >= limits.maxQueueMessages ||
        this.queuedBytes + frameBytes > limits.maxQueueBytes
      ) {
        return fail('overloaded', 'its send queue is full (maxQueueMessages / maxQueueBytes)');
      }
      const id = this.nextRequestId;
      this.nextRequestId = id === 0xffffffff ? 1 : id + 1;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        fail('timeout', `no reply within ${timeoutMs} ms; it may or may not have been carried out`);
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const frame = encodeRequest(id, payload);
      this.requestQueue.push({ id, frame });
      this.queuedBytes += frame.length;
      this.scheduleFlush();
    });
  }

  /** Points the peer at a new address: the connection is redialled at once. */
  setAddress(text: string): void {
    const address = parsePeerAddress(text, `peer ${this.id}`);
    if (formatPeerAddress(address) === this.addressText || this.stateValue === 'closed') return;
    const old = this.addressText;
    this.address = address;
    this.ctx.log.info(`peer ${this.id} moved from ${old} to ${this.addressText}; redialling`);
    this.dropConnection(`peer ${this.id} was readdressed`);
    this.failPending('connection-lost', `the peer was readdressed while the request was in flight`);
    this.backoff.reset();
    this.dial();
  }

  /**
   * The peer just dialled us, so it is up: a redial waiting out its backoff
   * goes now. A node added before it ran was dialled in vain until it
   * started, and the delay grew to seconds meanwhile (backoffMaxMs); its
   * first vote requests would otherwise get their answers dropped. A failed
   * redial backs off further, so a wrong address is not hammered.
   */
  redialNow(): void {
    if (this.stateValue !== 'backoff' || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.dial();
  }

  /**
   * Disconnects for good (peer removed, transport closed), once the raft
   * messages queued for it are sent: a node being removed learns from the
   * last of them, the leader's commit broadcast queued in the turn that
   * applied its removal, that its removal committed; no one sends it anything
   * after (docs/cluster.md, CLUSTER REMOVE).
   */
  close(): void {
    if (this.stateValue === 'closed') return;
    const conn = this.conn;
    this.releaseLazy();
    if (conn !== null && this.raftQueue.length > 0) this.flush();
    this.stateValue = 'closed';
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.conn = null;
    conn?.close('peer removed or transport closed', 'drain');
    this.failPending('closed', 'the peer was removed or the transport closed');
    this.raftQueue = [];
    this.queuedBytes = 0;
  }

  stats(inbound: boolean): PeerStats {
    return {
      address: this.addressText,
      state: this.stateValue,
      connected: this.stateValue === 'connected',
      inbound,
      ...this.traffic,
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      dropped: this.dropped,
      reconnects: Math.max(0, this.connects - 1),
      connectFailures: this.connectFailures,
      queuedMessages: this.queuedCount,
      queuedBytes: this.queuedBytes,
      pendingRequests: this.pending.size,
      lazy: this.lazy,
      lastError: this.lastError,
    };
  }

  private dial(): void {
    this.retryTimer = null;
    this.stateValue = 'connecting';
    const { host, port } = this.address;
    const { tls, localAddress } = this.ctx;
    const socket: Socket =
      tls === null ? connect({ host, port, localAddress }) : tls.dial(host, port, localAddress);
    if (tls !== null) {
      // Registered before FramedSocket's own handler, so the translated reason is the one kept.
      socket.on('error', (e) => {
        const why = peerTlsErrorMessage(e);
        if (why !== null) conn.close(why);
      });
    }
    const conn: FramedSocket = new FramedSocket(socket, {
      onPreamble: (preamble) => {
        const problem = preambleProblem(preamble);
        if (problem !== null) conn.close(`it answered, but ${problem}`);
      },
      onFrame: (kind, body) => this.onFrame(conn, kind, body),
      onClose: (reason) => {
        if (this.conn === conn) this.onConnectionLost(reason);
      },
    });
    conn.traffic = this.traffic;
    this.conn = conn;
    conn.armHandshakeDeadline(this.ctx.limits.connectTimeoutMs);
    const hello = (): void => {
      conn.sendPreamble();
      conn.write(
        encodeHello({ clusterId: this.ctx.clusterId, from: this.ctx.nodeId, to: this.id }),
      );
    };
    if (tls === null) return hello();
    this.certNames = null;
    // Nothing is sent until the listener's certificate is checked.
    socket.once('secureConnect', () => {
      if (conn.isClosed) return; // the handshake outlasted connectTimeoutMs
      const problem = tls.listenerProblem(socket as TLSSocket, this.id);
      if (problem !== null) return conn.close(problem);
      this.certNames = namesOf(socket as TLSSocket);
      hello();
    });
  }

  private onFrame(conn: FramedSocket, kind: number, body: Buffer): void {
    switch (kind) {
      case FrameKind.welcome:
        if (this.stateValue !== 'connecting') throw new PeerProtocolError('a second welcome frame');
        return this.onWelcome(conn, decodeWelcome(body));
      case FrameKind.refuse: {
        const how = this.stateValue === 'connected' ? 'closed' : 'refused';
        return conn.close(`it ${how} the connection: ${decodeRefuse(body)}`);
      }
      case FrameKind.response: {
        if (this.stateValue !== 'connected')
          throw new PeerProtocolError('a response before the welcome');
        const r = decodeResponse(body);
        const p = this.pending.get(r.id);
        if (p === undefined) return; // timed out already
        this.pending.delete(r.id);
        clearTimeout(p.timer);
        if (r.ok) return p.resolve(r.reply);
        return p.reject(
          new PeerRequestError('remote', `${this.name} answered with an error: ${r.error}`),
        );
      }
      case FrameKind.ping:
        return;
      default:
        throw new PeerProtocolError(`unexpected frame kind ${kind} from the listening side`);
    }
  }

  private onWelcome(conn: FramedSocket, remoteId: NodeId): void {
    if (this.id !== '' && remoteId !== this.id) {
      return conn.close(
        `wrong node: expected ${JSON.stringify(this.id)} but ${JSON.stringify(remoteId)} answered; ` +
          `check the address given for ${JSON.stringify(this.id)} in --peers`,
      );
    }
    const notCertified =
      this.certNames === null
        ? null
        : identityProblem(
            this.certNames,
            remoteId,
            `this node rejected the peer's certificate: it says it is node ${JSON.stringify(remoteId)} but its`,
          );
    if (notCertified !== null) return conn.close(notCertified);
    const { limits } = this.ctx;
    this.stateValue = 'connected';
    conn.limitFrames(limits.maxFrameBytes);
    conn.startHeartbeat(limits.heartbeatIntervalMs, limits.idleTimeoutMs);
    conn.socket.on('drain', () => this.scheduleFlush());
    const failures = this.backoff.failures;
    this.backoff.reset();
    this.connects++;
    if (this.id !== '') {
      const after =
        failures > 0 ? ` after ${failures} failed attempt${failures > 1 ? 's' : ''}` : '';
      this.ctx.log.info(`connected to ${this.name}${after}`);
    }
    this.scheduleFlush();
  }

  private onConnectionLost(reason: string): void {
    const wasConnected = this.stateValue === 'connected';
    this.conn = null;
    this.failPending(
      wasConnected ? 'connection-lost' : 'unreachable',
      wasConnected ? `the connection broke (${reason})` : `cannot connect: ${reason}`,
    );
    const lostMessages = this.raftQueue.length + this.lazyQueue.length;
    this.dropped += lostMessages;
    this.raftQueue = [];
    this.lazyQueue = [];
    if (this.lazyFlush !== null) clearTimeout(this.lazyFlush);
    this.lazyFlush = null;
    this.queuedBytes = 0;
    if (!wasConnected) this.connectFailures++;
    const repeated = reason === this.lastError;
    this.lastError = reason;
    if (this.id === '') {
      this.stateValue = 'closed';
      return;
    }
    const delay = this.backoff.next();
    this.stateValue = 'backoff';
    this.retryTimer = setTimeout(() => this.dial(), delay);
    if (wasConnected) {
      this.ctx.log.warn(`lost connection to ${this.name}: ${reason}; redialling in ${delay} ms`);
    } else {
      const line = `cannot connect to ${this.name}: ${reason}; retrying in ${delay} ms (attempt ${this.backoff.failures})`;
      if (repeated) this.ctx.log.debug(line);
      else this.ctx.log.warn(line);
    }
    if (wasConnected || lostMessages > 0) this.ctx.reportUnreachable(this.id);
  }

  /** Closes the current connection without treating it as a failure. */
  private dropConnection(reason: string): void {
    const conn = this.conn;
    this.conn = null;
    conn?.close(reason);
  }

  private failPending(code: PeerRequestFailure, why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new PeerRequestError(code, `request to ${this.name} failed: ${why}`));
    }
    for (const r of this.requestQueue) this.queuedBytes -= r.frame.length;
    this.requestQueue = [];
    this.warnedFull = false;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stateValue !== 'connected') return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: everything sent during this turn of the
    // event loop (several Ready batches, I/O callbacks) goes out in one frame.
    setImmediate(() => this.flush());
  }

  private scheduleLazyFlush(): void {
    if (this.lazyFlush !== null) return;
    this.lazyFlush = setTimeout(() => {
      this.lazyFlush = null;
      this.releaseLazy();
    }, this.lazyMs);
  }

  /**
   * The waiting appends go with the next flush, behind what is queued: the
   * appends there are older (queued before the peer was lazy, or released by
   * an earlier wait, and waiting for the socket to drain), and a follower
   * that gets an append before an older one rejects it and is probed.
   */
  private releaseLazy(): void {
    if (this.lazyFlush !== null) {
      clearTimeout(this.lazyFlush);
      this.lazyFlush = null;
    }
    if (this.lazyQueue.length === 0) return;
    this.raftQueue = this.raftQueue.concat(this.lazyQueue);
    this.lazyQueue = [];
    this.scheduleFlush();
  }

  private flush(): void {
    this.flushScheduled = false;
    const conn = this.conn;
    if (conn === null || this.stateValue !== 'connected') return;
    const { writeBufferBytes, maxFrameBytes } = this.ctx.limits;
    while (this.requestQueue.length > 0 && conn.unsentBytes < writeBufferBytes) {
      const r = this.requestQueue.shift() as { id: number; frame: Buffer };
      this.queuedBytes -= r.frame.length;
      if (this.pending.has(r.id)) conn.write(r.frame); // else it timed out while queued
    }
    const queue = this.raftQueue;
    let start = 0;
    while (start < queue.length && conn.unsentBytes < writeBufferBytes) {
      let end = start;
      let bytes = 0;
      while (end < queue.length) {
        const size = (queue[end] as Uint8Array).length;
        if (
          end > start &&
          raftFrameSize(end - start + 1, bytes + size) - LENGTH_PREFIX_BYTES > maxFrameBytes
        )
          break;
        bytes += size;
        end++;
      }
      conn.write(encodeRaftBatch(queue, start, end, bytes));
      this.messagesSent += end - start;
      this.queuedBytes -= bytes;
      start = end;
    }
    this.raftQueue = start === queue.length ? [] : queue.slice(start);
    if (this.queuedCount === 0) this.warnedFull = false;
    // What is left waits for the socket's 'drain' event.
  }
}
