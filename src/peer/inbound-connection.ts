// A connection another node opened to this node's peer port: checked
// (preamble, then hello) before anything else is read, then raft batches
// and requests in, replies and pings out. Anything unexpected closes it
// with a reason the other side and this node's log both get.

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
import { helloProblem, preambleProblem } from './handshake.js';
import type { PeerLimits } from './limits.js';
import { identityProblem } from '../tls/index.js';

export interface InboundContext {
  nodeId: NodeId;
  clusterId: string;
  limits: PeerLimits;
  log: Logger;
  /** The peer's cumulative traffic, or null when `id` is not in the peer list. */
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
    this.framed.close(reason, true);
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
    const traffic = this.ctx.trafficOf(from);
    if (traffic !== null) {
      traffic.framesReceived += this.framed.traffic.framesReceived;
      traffic.bytesReceived += this.framed.traffic.bytesReceived;
      this.framed.traffic = traffic;
    }
    const { limits } = this.ctx;
    this.framed.maxFrameBytes = limits.maxFrameBytes;
    this.framed.startHeartbeat(limits.heartbeatIntervalMs, limits.idleTimeoutMs);
    this.framed.sendPreamble();
    this.framed.write(encodeWelcome(this.ctx.nodeId));
    this.ctx.accepted(this);
    this.ctx.log.debug(`accepted peer connection from node ${from} at ${this.remote}`);
  }

  private onRaft(from: NodeId, body: Buffer): void {
    if (this.ctx.trafficOf(from) === null) {
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
    this.framed.close(reason, true);
  }
}
