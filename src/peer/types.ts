// The peer transport's public shape: what the coordinator passes in and
// what it gets back.

import type { Logger } from 'pino';
import type { Message, NodeId } from '../raft/types.js';
import type { PeerLimits } from './limits.js';
import type { TlsMaterial } from '../tls/index.js';

export interface PeerTransportOptions {
  nodeId: NodeId;
  /** Every node of a cluster has the same id; connections across clusters are refused. */
  clusterId: string;
  /** Where peers reach this node; port 0 picks a free one (see PeerTransport.address). */
  listen: { host: string; port: number };
  /** Other members: node id → "host:port" of their peer listener. An entry for nodeId itself is ignored. */
  peers: Readonly<Record<NodeId, string>>;
  /** Raft messages that arrived from `from` (one call per received batch). Must not throw. */
  onMessages(messages: Message[], from: NodeId): void;
  /** A request from `from` (possibly a node not yet in the peer list, e.g. one asking to join). A rejection's message goes back as the error. */
  onRequest(from: NodeId, payload: Buffer): Promise<Uint8Array>;
  /** Messages to `peer` were dropped (down, queue full, unknown) or a connection to it broke: tell raft (reportUnreachable). */
  onUnreachable?(peer: NodeId): void;
  /** Default: pino on stderr at level info. */
  logger?: Logger;
  /** Unset ones take DEFAULT_PEER_LIMITS. */
  limits?: Partial<PeerLimits>;
  /** Jitter source for reconnect delays (default Math.random). */
  random?: () => number;
  /** Mutual TLS: both sides present certificates signed by `ca` naming their node ids (see peer-tls.ts); absent: plain TCP. */
  tls?: TlsMaterial | undefined;
}

/** connecting: dialling or handshaking; connected: messages flow; backoff: down, waiting to redial. */
export type OutboundState = 'connecting' | 'connected' | 'backoff' | 'closed';

export interface PeerStats {
  address: string;
  state: OutboundState;
  /** This node's connection to the peer is up. */
  connected: boolean;
  /** The peer's connection to this node is up. */
  inbound: boolean;
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Raft messages dropped (peer down, queue full, too large, or lost with a broken connection). */
  dropped: number;
  /** Connections re-established after one was lost or failed. */
  reconnects: number;
  /** Dial attempts that failed (refused, unreachable, handshake timeout, wrong peer). */
  connectFailures: number;
  queuedMessages: number;
  queuedBytes: number;
  pendingRequests: number;
  /** A leader's lazy follower: its appends wait a few ms to leave together (lazy-followers.ts). */
  lazy: boolean;
  /** Why the last connection attempt or connection ended, if one did. */
  lastError: string | null;
}

export interface PeerTransportStats {
  nodeId: NodeId;
  clusterId: string;
  /** host:port of the listener. */
  address: string;
  /** Inbound connections refused (bad preamble, handshake, protocol errors, too many). */
  refusedConnections: number;
  peers: Record<NodeId, PeerStats>;
}

export interface PeerTransport {
  /** The bound listener address. */
  readonly address: { host: string; port: number };
  /** Queues messages to their `to` peers and returns at once; dropped ones are reported through onUnreachable. */
  send(messages: readonly Message[]): void;
  /** Sends `payload` to member `to`; resolves with its reply or rejects with a PeerRequestError. */
  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Buffer>;
  /** Like request, to whichever node listens at `address` (for a node that knows no ids yet: join). */
  requestAt(address: string, payload: Uint8Array, timeoutMs: number): Promise<Buffer>;
  /** Replaces the peer list: new ids are dialled, missing ones disconnected, changed addresses redialled. */
  setPeers(peers: Readonly<Record<NodeId, string>>): void;
  /**
   * Leader: the appends to the peers in `lazy` wait up to `ms` to leave
   * together (OutboundPeer.setLazy); every other peer's leave at once.
   */
  setLazy(lazy: ReadonlySet<NodeId>, ms: number): void;
  stats(): PeerTransportStats;
  /** New TLS material for connections made from now on (a reload); open ones keep theirs. No-op without TLS. */
  setTls(material: TlsMaterial): void;
  /** Stops listening, closes every connection, fails pending requests with code 'closed'. */
  close(): Promise<void>;
}
