// One peer TCP connection seen as frames: reads the preamble and then
// frames, writes frames, closes once with a reason, and watches liveness
// (a handshake deadline, then pings when idle and a receive timeout).
// Nothing a peer sends can throw out of here: every failure closes the
// connection and reaches the owner's onClose with a reason.

import type { Socket } from 'node:net';
import { FrameError, FrameReader } from './frame-reader.js';
import { encodePing, encodeRefuse, PeerProtocolError } from './frames.js';
import { encodePreamble, HANDSHAKE_MAX_FRAME_BYTES, PREAMBLE_BYTES } from './handshake.js';

/** Cumulative traffic of a peer, across its connections. */
export interface Traffic {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
}

export function newTraffic(): Traffic {
  return { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0 };
}

export interface FramedSocketHandlers {
  /** The peer's preamble arrived (6 bytes); the owner checks it and may close. */
  onPreamble(preamble: Buffer): void;
  /** A frame arrived; throwing PeerProtocolError closes the connection with a refusal. */
  onFrame(kind: number, body: Buffer): void;
  /** Called once, when the connection is closed for any reason. */
  onClose(reason: string): void;
}

/** How long a gentle close (a refusal, or what was written) may take to flush before the socket is destroyed anyway. */
const GENTLE_CLOSE_LINGER_MS = 1000;

export class FramedSocket {
  traffic: Traffic = newTraffic();
  private readonly reader = new FrameReader(HANDSHAKE_MAX_FRAME_BYTES);
  private preamble: Buffer | null = Buffer.alloc(0);
  private preambleSent = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private lastReceived = Date.now();
  private lastWritten = Date.now();

  constructor(
    readonly socket: Socket,
    private readonly handlers: FramedSocketHandlers,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => this.close(e.message));
    socket.on('end', () => this.close('the other side closed the connection'));
    socket.on('close', () => this.close('connection closed'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Unsent bytes in the socket's buffer. */
  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  /** Accept frames up to `bytes` from now on; `name` is the limit as a refusal names it. */
  limitFrames(bytes: number, name = 'maxFrameBytes'): void {
    this.reader.maxFrameBytes = bytes;
    this.reader.limitName = name;
  }

  /**
   * Closes the connection unless startHeartbeat() is called within `ms`.
   * Judged after the poll phase: after a stall of our own event loop (a
   * loaded machine, a long GC) the timers run before the sockets are read,
   * and the peer's handshake may be waiting there.
   */
  armHandshakeDeadline(ms: number): void {
    this.clearTimer();
    const deadline = setTimeout(() => {
      setImmediate(() => {
        if (this.timer === deadline) this.close(`no handshake within ${ms} ms (connectTimeoutMs)`);
      });
    }, ms);
    this.timer = deadline;
  }

  /**
   * Pings when nothing was written for `intervalMs`; closes when nothing
   * arrived for `idleMs`. Time this node's own event loop did not run (a tick
   * late by more than an interval) is not counted as the peer's silence: the
   * peer's pings wait unread meanwhile, and its answer to ours takes a tick.
   */
  startHeartbeat(intervalMs: number, idleMs: number): void {
    this.clearTimer();
    this.lastReceived = Date.now();
    let lastTick = this.lastReceived;
    this.timer = setInterval(() => {
      const now = Date.now();
      const late = now - lastTick - intervalMs;
      lastTick = now;
      if (late > intervalMs) this.lastReceived = Math.min(now, this.lastReceived + late);
      if (now - this.lastWritten >= intervalMs) this.write(encodePing());
      if (now - this.lastReceived >= idleMs) {
        this.close(
          `nothing received for ${idleMs} ms (idleTimeoutMs); the peer may be paused or cut off`,
        );
      }
    }, intervalMs);
  }

  sendPreamble(): void {
    this.preambleSent = true;
    this.send(encodePreamble());
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    this.traffic.framesSent++;
    this.send(frame);
  }

  private send(bytes: Buffer): void {
    this.traffic.bytesSent += bytes.length;
    this.lastWritten = Date.now();
    this.socket.write(bytes);
  }

  /**
   * Closes: at once, dropping what is not yet sent (`'now'`); once what was
   * written is sent (`'drain'`); or after telling the peer why (`'refuse'`).
   */
  close(reason: string, how: 'now' | 'drain' | 'refuse' = 'now'): void {
    if (this.closed) return;
    if (how === 'refuse') {
      if (!this.preambleSent) this.sendPreamble();
      this.write(encodeRefuse(reason));
    }
    this.closed = true;
    this.clearTimer();
    this.socket.removeAllListeners('data');
    // A socket closed gently lingers (below) and no longer counts as a connection: hold nothing for it.
    this.reader.clear();
    if (how !== 'now') {
      const linger = setTimeout(() => this.socket.destroy(), GENTLE_CLOSE_LINGER_MS);
      linger.unref();
      this.socket.end(() => {
        clearTimeout(linger);
        this.socket.destroy();
      });
    } else {
      this.socket.destroy();
    }
    // Late socket errors (e.g. EPIPE while lingering) must not become uncaught.
    this.socket.on('error', () => {});
    this.handlers.onClose(reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.lastReceived = Date.now();
    this.traffic.bytesReceived += chunk.length;
    try {
      if (this.preamble !== null) {
        chunk = this.collectPreamble(chunk);
        if (this.closed || this.preamble !== null) return;
      }
      this.reader.push(chunk);
      let frame: Buffer | null;
      while (!this.closed && (frame = this.reader.next()) !== null) {
        this.traffic.framesReceived++;
        this.handlers.onFrame(frame[0] as number, frame.subarray(1));
      }
    } catch (e) {
      if (e instanceof FrameError || e instanceof PeerProtocolError) {
        this.close(`protocol error: ${e.message}`, 'refuse');
      } else {
        this.close(
          `internal error while handling a frame: ${e instanceof Error ? e.stack : String(e)}`,
        );
      }
    }
  }

  /** Gathers the 6 preamble bytes (they may arrive split); returns the bytes after them. */
  private collectPreamble(chunk: Buffer): Buffer {
    const have = this.preamble as Buffer;
    const take = Math.min(PREAMBLE_BYTES - have.length, chunk.length);
    const preamble =
      have.length === 0 ? chunk.subarray(0, take) : Buffer.concat([have, chunk.subarray(0, take)]);
    if (preamble.length < PREAMBLE_BYTES) {
      this.preamble = preamble;
      return chunk.subarray(chunk.length);
    }
    this.preamble = null;
    this.handlers.onPreamble(preamble);
    return chunk.subarray(take);
  }
}
