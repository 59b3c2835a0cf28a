// Runs the server side of TLS handshakes on connections accepted elsewhere
// (a plain net.Server that sniffed the first byte). A tls.Server that never
// listens does the work, so OpenSSL's certificate verification and Node's
// handshake timeout apply unchanged; this class ties each finished or failed
// handshake back to the connection it started from, by remote address
// (unique among one listener's open connections).

import type { Socket } from 'node:net';
import {
  createServer,
  type SecureContextOptions,
  type Server,
  type TlsOptions,
  type TLSSocket,
} from 'node:tls';

interface Handshake {
  secure(socket: TLSSocket): void;
  failed(reason: string): void;
}

export class TlsHandshaker {
  private readonly server: Server;
  private readonly running = new Map<string, Handshake>();

  constructor(options: TlsOptions) {
    this.server = createServer(options);
    this.server.on('secureConnection', (socket: TLSSocket) => {
      const key = remoteOf(socket);
      const h = this.running.get(key);
      this.running.delete(key);
      h?.secure(socket);
    });
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const key = remoteOf(socket);
      const h = this.running.get(key);
      this.running.delete(key);
      h?.failed(err.message);
    });
  }

  /** Handshakes in progress. */
  get size(): number {
    return this.running.size;
  }

  /** New certificate, key or CA for handshakes started from now on (a reload); running ones keep theirs. */
  setSecureContext(options: SecureContextOptions): void {
    this.server.setSecureContext(options);
  }

  /** Starts the handshake on `raw` (whose first bytes are unread); exactly one of the callbacks follows. */
  start(raw: Socket, secure: (socket: TLSSocket) => void, failed: (reason: string) => void): void {
    const key = remoteOf(raw);
    this.running.set(key, { secure, failed });
    // A connection that goes away mid-handshake closes before tls.Server
    // reports it, when its address can no longer be read: report it here.
    raw.once('close', () => {
      if (this.running.get(key)?.secure !== secure) return;
      this.running.delete(key);
      failed('the other side closed the connection during the TLS handshake');
    });
    this.server.emit('connection', raw);
  }
}

export function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
