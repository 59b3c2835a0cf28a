// A connection another node opened to this node's peer port: checked
// (preamble, then hello) before anything else is read, then raft batches
// and requests in, replies and pings out. Anything unexpected closes it
// with a reason the other side and this node's log both get.
//
// Without TLS a hello proves nothing, so what the id claims decides what a
// connection may cost: a member (an id in the peer list) may send frames of
// maxFrameBytes; anyone else (a node joining, one removed, a stranger) only
// small frames — a join or a forwarded request — until the peer list takes
// its id in (admit). Together with one connection per id, strangers can make
// the node hold at most maxInboundConnections small frames.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Message, NodeId } from '../raft/types.js';
import { FramedSocket, type Traffic } from './framed-socket.js';
import {
  decodeHello,
  decodeRaftBatch,
  decodeRefuse,
  decodeRequest,
  encodeResponse,
  encodeWelcome,
  FrameKind,
  PeerProtocolError,
  type Hello,
  RESPONSE_FRAME_OVERHEAD,
} from './frames.js';
import { LENGTH_PREFIX_BYTES } from './frame-reader.js';
import { HANDSHAKE_MAX_FRAME_BYTES, helloProblem, preambleProblem } from './handshake.js';
import type { PeerLimits } from './limits.js';
import { identityProblem } from '../tls/index.js';

export interface InboundContext {
  nodeId: NodeId;
  clusterId: string;
  limits: PeerLimits;
  log: Logger;
  /** The peer's cumulative traffic, or null when `id` is not in the peer list (not a member). */
  trafficOf(id: NodeId): Traffic | null;
  /** The handshake succeeded (the transport keeps one connection per node). */
  accepted(conn: InboundConnection): void;
  closed(conn: InboundConnection): void;
  refused(): void;
  deliver(from: NodeId, messages: Message[]): void;
  handleRequest(from: NodeId, payload: Buffer): Promise<Uint8Array>;
  /** With TLS: the names in the dialler's certificate, one of which its hello must claim; null without TLS. */
  certNames: string[] | null;
}

const encoder = new TextEncoder();

export class InboundConnection {
  /** The node on the other side, once its hello is accepted. */
  peerId: NodeId | null = null;
  /** The peer list holds `peerId`: its frames may be maxFrameBytes and its raft messages count. */
  private member = false;
  readonly remote: string;
  private readonly framed: FramedSocket;
  private handling = 0;
  private warnedNonMember = false;
  private refusedByUs = false;

  constructor(
    socket: Socket,
    private readonly ctx: InboundContext,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.framed = new FramedSocket(socket, {
      onPreamble: (preamble) => {
        const problem = preambleProblem(preamble);
        if (problem !== null) this.refuse(problem);
      },
      onFrame: (kind, body) => this.onFrame(kind, body),
      onClose: (reason) => this.onClose(reason),
    });
    this.framed.armHandshakeDeadline(ctx.limits.connectTimeoutMs);
  }

  /** Refuses or closes with `reason` told to the other side. */
  refuse(reason: string): void {
    if (this.peerId === null) {
      this.refusedByUs = true;
      this.ctx.refused();
      this.ctx.log.warn(`refused peer connection from ${this.remote}: ${reason}`);
    }
    this.framed.close(reason, 'refuse');
  }

  private onFrame(kind: number, body: Buffer): void {
    if (this.peerId === null) {
      if (kind !== FrameKind.hello)
        throw new PeerProtocolError(`expected a hello frame first, got kind ${kind}`);
      return this.onHello(decodeHello(body));
    }
    switch (kind) {
      case FrameKind.raft:
        return this.onRaft(this.peerId, body);
      case FrameKind.request:
        return this.onRequest(this.peerId, body);
      case FrameKind.ping:
        return;
      case FrameKind.refuse:
        return this.framed.close(
          `node ${this.peerId} closed its connection: ${decodeRefuse(body)}`,
        );
      default:
        throw new PeerProtocolError(`unexpected frame kind ${kind} from the dialling side`);
    }
  }

  private onHello(hello: Hello): void {
    const problem =
      helloProblem(hello, this.ctx) ??
      (this.ctx.certNames === null
        ? null
        : identityProblem(
            this.ctx.certNames,
            hello.from,
            `node ${this.ctx.nodeId} rejected the dialling node's certificate: it says it is node ${JSON.stringify(hello.from)} but its`,
          ));
    if (problem !== null) return this.refuse(problem);
    const from = hello.from;
    this.peerId = from;
    const { limits, nodeId } = this.ctx;
    const traffic = this.ctx.trafficOf(from);
    if (traffic !== null) {
      this.admit(traffic);
    } else {
      this.framed.limitFrames(
        HANDSHAKE_MAX_FRAME_BYTES,
        `node ${from} is not a member of the cluster as node ${nodeId} knows it, so only small ` +
          `requests such as a join are taken from it; add it (distdb cluster add ${from} <peer address>) ` +
          'or start it with --join',
      );
    }
    this.framed.startHeartbeat(limits.heartbeatIntervalMs, limits.idleTimeoutMs);
    this.framed.sendPreamble();
    this.framed.write(encodeWelcome(nodeId));
    this.ctx.accepted(this);
    this.ctx.log.debug(
      `accepted peer connection from node ${from} at ${this.remote}` +
        (this.member
          ? ''
          : ` (not a member: frames of at most ${HANDSHAKE_MAX_FRAME_BYTES} bytes until it is added)`),
    );
  }

  /** The peer list now holds this connection's node: full-size frames, raft messages delivered. */
  admit(traffic: Traffic): void {
    if (this.member) return;
    this.member = true;
    traffic.framesReceived += this.framed.traffic.framesReceived;
    traffic.bytesReceived += this.framed.traffic.bytesReceived;
    this.framed.traffic = traffic;
    this.framed.limitFrames(this.ctx.limits.maxFrameBytes);
  }

  private onRaft(from: NodeId, body: Buffer): void {
    if (!this.member) {
      // Not (or no longer) a member: a removed node that still campaigns must
      // not disturb the cluster. Its requests (e.g. join) are still served.
      if (!this.warnedNonMember) {
        this.warnedNonMember = true;
        this.ctx.log.warn(
          `node ${from} (${this.remote}) sends raft messages but is not in this node's peer list; ` +
            'dropping them until it is added (distdb cluster add)',
        );
      }
      return;
    }
    const messages = decodeRaftBatch(body);
    for (const m of messages) {
      if (m.from !== from || m.to !== this.ctx.nodeId) {
        throw new PeerProtocolError(
          `a raft message from ${JSON.stringify(m.from)} to ${JSON.stringify(m.to)} arrived on ` +
            `the connection from ${JSON.stringify(from)} to ${JSON.stringify(this.ctx.nodeId)}`,
        );
      }
    }
    this.ctx.deliver(from, messages);
  }

  private onRequest(from: NodeId, body: Buffer): void {
    const { id, payload } = decodeRequest(body);
    const { maxPendingRequests } = this.ctx.limits;
    if (this.handling >= maxPendingRequests) {
      const why = `node ${this.ctx.nodeId} is already handling ${this.handling} requests from ${from} (maxPendingRequests); retry later`;
      return this.framed.write(encodeResponse(id, false, encoder.encode(why)));
    }
    this.handling++;
    const reply = (ok: boolean, data: Uint8Array): void => {
      this.handling--;
      if (
        RESPONSE_FRAME_OVERHEAD - LENGTH_PREFIX_BYTES + data.length >
        this.ctx.limits.maxFrameBytes
      ) {
        ok = false;
        data = encoder.encode(
          `the reply of ${data.length} bytes exceeds maxFrameBytes (${this.ctx.limits.maxFrameBytes})`,
        );
      }
      this.framed.write(encodeResponse(id, ok, data));
    };
    this.ctx.handleRequest(from, payload).then(
      (data) => reply(true, data),
      (e: unknown) => reply(false, encoder.encode(e instanceof Error ? e.message : String(e))),
    );
  }

  private onClose(reason: string): void {
    this.ctx.closed(this);
    if (this.peerId !== null) {
      const line = `connection from node ${this.peerId} (${this.remote}) closed: ${reason}`;
      if (reason.startsWith('protocol error')) this.ctx.log.warn(line);
      else this.ctx.log.info(line);
    } else if (!this.refusedByUs) {
      if (reason.startsWith('protocol error')) this.ctx.refused();
      this.ctx.log.warn(
        `peer connection from ${this.remote} closed before its handshake: ${reason}`,
      );
    }
  }

  /** Closes from this side (peer removed, replaced, transport closing). */
  close(reason: string): void {
    this.framed.close(reason, 'refuse');
  }
}
