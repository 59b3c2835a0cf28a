// The frames peers exchange after the preamble, and their bodies. Each
// frame is: u32 length (of what follows), u8 kind, body. Integers are
// big-endian; strings are u16-length-prefixed UTF-8.

import { decodeMessage, RaftCodecError } from '../raft/codec.js';
import type { Message, NodeId } from '../raft/types.js';
import { LENGTH_PREFIX_BYTES } from './frame-reader.js';

export const FrameKind = {
  /** Dialler → listener, first frame: cluster id, sender id, expected receiver id. */
  hello: 1,
  /** Listener → dialler: handshake accepted; the listener's node id. */
  welcome: 2,
  /** Either way: why the connection is refused or closed (UTF-8), then the sender closes. */
  refuse: 3,
  /** Dialler → listener: u32 count, then per message u32 length + raft codec bytes. */
  raft: 4,
  /** Dialler → listener: u32 request id, opaque payload. */
  request: 5,
  /** Listener → dialler: u32 request id, u8 status (0 ok, 1 error), reply bytes or UTF-8 error. */
  response: 6,
  /** Either way, empty: keeps an idle connection observably alive. */
  ping: 7,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Length prefix and kind byte. */
export const FRAME_HEADER_BYTES = LENGTH_PREFIX_BYTES + 1;
/** Overhead of a raft frame around its messages: header and count. */
export const RAFT_FRAME_OVERHEAD = FRAME_HEADER_BYTES + 4;
/** Overhead per message inside a raft frame: its length. */
export const RAFT_MESSAGE_OVERHEAD = 4;
/** Overhead of a request or response frame around its payload. */
export const REQUEST_FRAME_OVERHEAD = FRAME_HEADER_BYTES + 4;
export const RESPONSE_FRAME_OVERHEAD = FRAME_HEADER_BYTES + 5;
/** Longest node or cluster id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 255;

/** A frame body that does not parse; the connection is closed with this reason. */
export class PeerProtocolError extends Error {
  override name = 'PeerProtocolError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function allocFrame(kind: FrameKind, bodyLength: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  frame.writeUInt32BE(1 + bodyLength, 0);
  frame[LENGTH_PREFIX_BYTES] = kind;
  return frame;
}

/** Reads a frame body front to back, failing with a PeerProtocolError on truncation. */
class BodyReader {
  private pos = 0;

  constructor(
    private readonly body: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number, field: string): void {
    if (this.body.length - this.pos < n) {
      throw new PeerProtocolError(`truncated ${this.what} frame: missing ${field}`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.body[this.pos++] as number;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.body.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.body.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(field: string): string {
    this.need(2, field);
    const n = this.body.readUInt16BE(this.pos);
    this.pos += 2;
    try {
      return strictUtf8.decode(this.bytes(n, field));
    } catch (e) {
      if (e instanceof PeerProtocolError) throw e;
      throw new PeerProtocolError(`${this.what} frame: ${field} is not valid UTF-8`);
    }
  }

  rest(): Buffer {
    const v = this.body.subarray(this.pos);
    this.pos = this.body.length;
    return v;
  }

  end(): void {
    if (this.pos !== this.body.length) {
      throw new PeerProtocolError(
        `${this.what} frame has ${this.body.length - this.pos} unexpected trailing bytes`,
      );
    }
  }
}

export interface Hello {
  clusterId: string;
  from: NodeId;
  /** The node the dialler expects to reach; empty when it dials an address without knowing the id (join). */
  to: NodeId;
}

function idBytes(id: string, field: string): Buffer {
  const b = Buffer.from(id, 'utf8');
  if (b.length > MAX_ID_BYTES) {
    throw new RangeError(`${field} ${JSON.stringify(id)} is longer than ${MAX_ID_BYTES} bytes`);
  }
  return b;
}

function writeStrings(kind: FrameKind, strings: Buffer[]): Buffer {
  let size = 0;
  for (const s of strings) size += 2 + s.length;
  const frame = allocFrame(kind, size);
  let pos = FRAME_HEADER_BYTES;
  for (const s of strings) {
    frame.writeUInt16BE(s.length, pos);
    s.copy(frame, pos + 2);
    pos += 2 + s.length;
  }
  return frame;
}

export function encodeHello(h: Hello): Buffer {
  return writeStrings(FrameKind.hello, [
    idBytes(h.clusterId, 'cluster id'),
    idBytes(h.from, 'node id'),
    idBytes(h.to, 'node id'),
  ]);
}

export function decodeHello(body: Buffer): Hello {
  const r = new BodyReader(body, 'hello');
  const hello = {
    clusterId: r.string('cluster id'),
    from: r.string('sender id'),
    to: r.string('receiver id'),
  };
  r.end();
  return hello;
}

export function encodeWelcome(nodeId: NodeId): Buffer {
  return writeStrings(FrameKind.welcome, [idBytes(nodeId, 'node id')]);
}

export function decodeWelcome(body: Buffer): NodeId {
  const r = new BodyReader(body, 'welcome');
  const id = r.string('node id');
  r.end();
  return id;
}

export function encodeRefuse(reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const frame = allocFrame(FrameKind.refuse, text.length);
  text.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function decodeRefuse(body: Buffer): string {
  // Shown to a person as is; invalid bytes become U+FFFD rather than an error.
  return body.toString('utf8');
}

export function encodePing(): Buffer {
  return allocFrame(FrameKind.ping, 0);
}

/** Size of a raft frame carrying messages whose encodings total `messageBytes` bytes. */
export function raftFrameSize(count: number, messageBytes: number): number {
  return RAFT_FRAME_OVERHEAD + count * RAFT_MESSAGE_OVERHEAD + messageBytes;
}

/** One raft frame holding `messages[from, to)`, already encoded with the raft codec. */
export function encodeRaftBatch(
  messages: readonly Uint8Array[],
  from: number,
  to: number,
  messageBytes: number,
): Buffer {
  const count = to - from;
  const frame = allocFrame(FrameKind.raft, raftFrameSize(count, messageBytes) - FRAME_HEADER_BYTES);
  let pos = FRAME_HEADER_BYTES;
  frame.writeUInt32BE(count, pos);
  pos += 4;
  for (let i = from; i < to; i++) {
    const m = messages[i] as Uint8Array;
    frame.writeUInt32BE(m.length, pos);
    frame.set(m, pos + 4);
    pos += 4 + m.length;
  }
  return frame;
}

export function decodeRaftBatch(body: Buffer): Message[] {
  const r = new BodyReader(body, 'raft');
  const count = r.u32('message count');
  if (count * RAFT_MESSAGE_OVERHEAD > body.length) {
    throw new PeerProtocolError(`raft frame claims ${count} messages but has ${body.length} bytes`);
  }
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = r.bytes(r.u32('message length'), `message ${i}`);
    try {
      messages.push(decodeMessage(bytes));
    } catch (e) {
      if (!(e instanceof RaftCodecError)) throw e;
      throw new PeerProtocolError(`raft frame message ${i} does not decode: ${e.message}`);
    }
  }
  r.end();
  return messages;
}

export function encodeRequest(id: number, payload: Uint8Array): Buffer {
  const frame = allocFrame(FrameKind.request, 4 + payload.length);
  frame.writeUInt32BE(id, FRAME_HEADER_BYTES);
  frame.set(payload, REQUEST_FRAME_OVERHEAD);
  return frame;
}

export function decodeRequest(body: Buffer): { id: number; payload: Buffer } {
  const r = new BodyReader(body, 'request');
  return { id: r.u32('request id'), payload: r.rest() };
}

export type Response =
  { id: number; ok: true; reply: Buffer } | { id: number; ok: false; error: string };

export function encodeResponse(id: number, ok: boolean, data: Uint8Array): Buffer {
  const frame = allocFrame(FrameKind.response, 5 + data.length);
  frame.writeUInt32BE(id, FRAME_HEADER_BYTES);
  frame[FRAME_HEADER_BYTES + 4] = ok ? 0 : 1;
  frame.set(data, RESPONSE_FRAME_OVERHEAD);
  return frame;
}

export function decodeResponse(body: Buffer): Response {
  const r = new BodyReader(body, 'response');
  const id = r.u32('request id');
  const status = r.u8('status');
  if (status === 0) return { id, ok: true, reply: r.rest() };
  if (status === 1) return { id, ok: false, error: r.rest().toString('utf8') };
  throw new PeerProtocolError(`response frame has unknown status ${status}`);
}
