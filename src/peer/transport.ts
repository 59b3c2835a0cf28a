// The peer transport: a listener for the other coordinators' connections
// and one outbound connection per peer. Raft messages go out through
// per-peer queues and arrive through onMessages; requests and replies give
// the coordinator an RPC channel (forwarding, join). See docs/peer-protocol.md.

import { createServer, isIP, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import type { Message, NodeId } from '../raft/types.js';
import { formatPeerAddress, parsePeerAddress } from './address.js';
import { PeerRequestError } from './errors.js';
import { PeerTls, type InboundTls, type TlsMaterial } from '../tls/index.js';
import type { Traffic } from './framed-socket.js';
import { MAX_ID_BYTES } from './frames.js';
import { InboundConnection } from './inbound-connection.js';
import { DEFAULT_PEER_LIMITS, peerLimitsProblem, type PeerLimits } from './limits.js';
import { OutboundPeer, type OutboundContext } from './outbound-peer.js';
import type {
  PeerStats,
  PeerTransport,
  PeerTransportOptions,
  PeerTransportStats,
} from './types.js';

/** Thrown by startPeerTransport when the options are unusable; the message says what to change. */
export class PeerConfigError extends Error {
  override name = 'PeerConfigError';
}

export async function startPeerTransport(options: PeerTransportOptions): Promise<PeerTransport> {
  const limits: PeerLimits = { ...DEFAULT_PEER_LIMITS, ...options.limits };
  const problem = peerLimitsProblem(limits);
  if (problem !== null) throw new PeerConfigError(problem);
  for (const [what, id] of [
    ['node id', options.nodeId],
    ['cluster id', options.clusterId],
  ] as const) {
    if (id === '' || Buffer.byteLength(id) > MAX_ID_BYTES) {
      throw new PeerConfigError(
        `the ${what} must be 1 to ${MAX_ID_BYTES} bytes long (got ${JSON.stringify(id)})`,
      );
    }
  }
  const transport = new Transport(options, limits);
  await transport.listen();
  try {
    transport.setPeers(options.peers);
  } catch (e) {
    await transport.close();
    throw e;
  }
  return transport;
}

class Transport implements PeerTransport {
  private readonly log: Logger;
  private readonly server: Server;
  private readonly tls: PeerTls | null;
  private readonly peers = new Map<NodeId, OutboundPeer>();
  /** Handshaken inbound connections by node id: one per node, a newer one replaces the older. */
  private readonly inbound = new Map<NodeId, InboundConnection>();
  private readonly connections = new Set<InboundConnection>();
  private readonly oneShots = new Set<OutboundPeer>();
  private refusedConnections = 0;
  private closing = false;
  address = { host: '', port: 0 };

  constructor(
    private readonly options: PeerTransportOptions,
    private readonly limits: PeerLimits,
  ) {
    this.log = options.logger ?? pino({ name: 'peer' }, pino.destination(2));
    this.tls =
      options.tls === undefined
        ? null
        : new PeerTls(options.tls, options.nodeId, this.log, limits.connectTimeoutMs);
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    const { host, port } = this.options.listen;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        const hint =
          e.code === 'EADDRINUSE'
            ? 'is the port in use? choose another peer port'
            : 'check the peer listen address';
        reject(
          new PeerConfigError(`cannot listen for peers on ${host}:${port}: ${e.message}; ${hint}`),
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.server.on('error', (e) => this.log.error(`peer listener error: ${e.message}`));
        const a = this.server.address();
        if (a !== null && typeof a === 'object') this.address = { host: a.address, port: a.port };
        this.log.info(`listening for peers on ${formatPeerAddress(this.address)}`);
        resolve();
      });
    });
  }

  send(messages: readonly Message[]): void {
    let unreachable: Set<NodeId> | null = null;
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (peer === undefined) {
        this.log.debug(`dropped a raft ${m.type} message to ${m.to}: not in the peer list`);
      }
      if (peer?.enqueue(m) !== true) (unreachable ??= new Set()).add(m.to);
    }
    if (unreachable !== null) for (const id of unreachable) this.reportUnreachable(id);
  }

  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const peer = this.peers.get(to);
    if (peer === undefined) {
      return Promise.reject(
        new PeerRequestError('unknown-peer', `node ${JSON.stringify(to)} is not in the peer list`),
      );
    }
    const bad = this.timeoutProblem(timeoutMs);
    return bad ?? peer.request(payload, timeoutMs);
  }

  requestAt(address: string, payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const bad = this.timeoutProblem(timeoutMs);
    if (bad !== null) return bad;
    if (this.closing)
      return Promise.reject(new PeerRequestError('closed', 'the peer transport is closed'));
    let peer: OutboundPeer;
    try {
      peer = new OutboundPeer('', address, this.outboundContext());
    } catch (e) {
      return Promise.reject(e);
    }
    this.oneShots.add(peer);
    return peer.request(payload, timeoutMs).finally(() => {
      this.oneShots.delete(peer);
      peer.close();
    });
  }

  setTls(material: TlsMaterial): void {
    this.tls?.setMaterial(material);
  }

  setPeers(peers: Readonly<Record<NodeId, string>>): void {
    const wanted = new Map(Object.entries(peers).filter(([id]) => id !== this.options.nodeId));
    // Check every address first, so a bad list changes nothing.
    for (const [id, address] of wanted) {
      if (id === '' || Buffer.byteLength(id) > MAX_ID_BYTES) {
        throw new RangeError(
          `peer id ${JSON.stringify(id)} must be 1 to ${MAX_ID_BYTES} bytes long`,
        );
      }
      parsePeerAddress(address, `peer ${id}`);
    }
    for (const [id, peer] of this.peers) {
      if (wanted.has(id)) continue;
      peer.close();
      this.peers.delete(id);
      this.inbound
        .get(id)
        ?.close(`node ${id} was removed from the peer list of node ${this.options.nodeId}`);
      this.log.info(`peer ${id} removed`);
    }
    for (const [id, address] of wanted) {
      const peer = this.peers.get(id);
      if (peer !== undefined) {
        peer.setAddress(address);
      } else if (!this.closing) {
        const added = new OutboundPeer(id, address, this.outboundContext());
        this.peers.set(id, added);
        // It may have dialled us first (a node just added, or before our state loaded).
        this.inbound.get(id)?.admit(added.traffic);
      }
    }
  }

  setLazy(lazy: ReadonlySet<NodeId>, ms: number): void {
    for (const [id, peer] of this.peers) peer.setLazy(lazy.has(id) ? ms : 0);
  }

  stats(): PeerTransportStats {
    const peers: Record<NodeId, PeerStats> = {};
    for (const [id, peer] of this.peers) peers[id] = peer.stats(this.inbound.has(id));
    return {
      nodeId: this.options.nodeId,
      clusterId: this.options.clusterId,
      address: formatPeerAddress(this.address),
      refusedConnections: this.refusedConnections,
      peers,
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.tls?.close();
    for (const peer of this.peers.values()) peer.close();
    for (const peer of this.oneShots) peer.close();
    this.peers.clear();
    for (const conn of [...this.connections])
      conn.close(`node ${this.options.nodeId} is shutting down`);
    await closed;
  }

  private timeoutProblem(timeoutMs: number): Promise<never> | null {
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) return null;
    return Promise.reject(
      new RangeError(`request timeout must be a positive number of ms (got ${timeoutMs})`),
    );
  }

  private reportUnreachable(id: NodeId): void {
    try {
      this.options.onUnreachable?.(id);
    } catch (e) {
      this.log.error(`onUnreachable(${id}) threw: ${(e as Error).stack ?? String(e)}`);
    }
  }

  /**
   * Dial from the address we listen on when it is one specific IP: with
   * nodes on 127.0.0.11/.12/.13 (or a machine with several addresses), a
   * node's outbound traffic then carries its own address, so firewall rules
   * that name a node's address cut all of its traffic.
   */
  private get localAddress(): string | undefined {
    const host = this.options.listen.host;
    return isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::' ? host : undefined;
  }

  private outboundContext(): OutboundContext {
    return {
      localAddress: this.localAddress,
      nodeId: this.options.nodeId,
      clusterId: this.options.clusterId,
      limits: this.limits,
      log: this.log,
      random: this.options.random ?? Math.random,
      tls: this.tls,
      reportUnreachable: (id: NodeId) => this.reportUnreachable(id),
    };
  }

  private accept(socket: Socket): void {
    if (this.tls === null) return this.acceptConnection(socket, null);
    if (this.connections.size + this.tls.pending >= this.limits.maxInboundConnections) {
      // Too early to send a refusal: that needs a TLS session first.
      this.refusedConnections++;
      this.log.warn(
        `refused peer connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ` +
          `already ${this.limits.maxInboundConnections} peer connections (maxInboundConnections)`,
      );
      socket.destroy();
      return;
    }
    this.tls.accept(socket, (s, info) => this.acceptConnection(s, info));
  }

  private acceptConnection(socket: Socket, tls: InboundTls | null): void {
    const conn = new InboundConnection(socket, {
      nodeId: this.options.nodeId,
      clusterId: this.options.clusterId,
      limits: this.limits,
      log: this.log,
      trafficOf: (id): Traffic | null => this.peers.get(id)?.traffic ?? null,
      accepted: (c) => {
        const id = c.peerId as NodeId;
        const old = this.inbound.get(id);
        this.inbound.set(id, c);
        old?.close(`replaced by a newer connection from node ${id}`);
        this.peers.get(id)?.redialNow();
      },
      closed: (c) => {
        this.connections.delete(c);
        if (c.peerId !== null && this.inbound.get(c.peerId) === c) this.inbound.delete(c.peerId);
      },
      refused: () => this.refusedConnections++,
      deliver: (from, messages) => this.deliver(from, messages),
      handleRequest: (from, payload) => this.handleRequest(from, payload),
      certNames: tls?.names ?? null,
    });
    this.connections.add(conn);
    if (tls?.problem != null) {
      conn.refuse(tls.problem);
    } else if (this.closing) {
      conn.close(`node ${this.options.nodeId} is shutting down`);
    } else if (this.connections.size > this.limits.maxInboundConnections) {
      conn.refuse(
        `node ${this.options.nodeId} already has ${this.limits.maxInboundConnections} peer connections (maxInboundConnections)`,
      );
    }
  }

  private async handleRequest(from: NodeId, payload: Buffer): Promise<Uint8Array> {
    // Awaited inside an async function: a handler that throws synchronously still becomes a rejection.
    const reply: unknown = await this.options.onRequest(from, payload);
    if (!(reply instanceof Uint8Array)) {
      this.log.error(
        `onRequest resolved to ${typeof reply}, not bytes, for a request from ${from}`,
      );
      throw new Error('the request handler produced no reply bytes');
    }
    return reply;
  }

  private deliver(from: NodeId, messages: Message[]): void {
    const peer = this.peers.get(from);
    if (peer !== undefined) peer.messagesReceived += messages.length;
    try {
      this.options.onMessages(messages, from);
    } catch (e) {
      this.log.error(
        `onMessages threw on messages from ${from}: ${(e as Error).stack ?? String(e)}`,
      );
    }
  }
}
