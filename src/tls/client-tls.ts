// TLS on the coordinator's client port. One port serves both kinds of
// client: the first byte tells a TLS handshake (0x16) from plain RESP. A
// TLS connection is handed to a tls.Server (used only to run handshakes, it
// never listens) and reaches the coordinator once the handshake is done; a
// plain one reaches it at once, or, with TLS required, is answered with a
// RESP error saying how to connect and closed. Sniffing instead of a
// TLS-only listener is what lets that refusal be a sentence instead of a
// handshake failure the client cannot explain.

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { refuseConnection } from '../resp/refuse-connection.js';
import { FirstByteSniffer } from './first-byte.js';
import { remoteOf, TlsHandshaker } from './handshaker.js';
import { verifyCodeReason } from './tls-errors.js';
import { secureContextOptions, type TlsMaterial } from './tls-material.js';

export interface ClientTlsOptions {
  material: TlsMaterial;
  /** Refuse plain connections (--tls-required). */
  required: boolean;
  /** Require client certificates signed by the CA (--tls-client-auth). */
  clientAuth: boolean;
}

/** A TLS handshake (after its first byte) must finish within this, or the connection is closed. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export const TLS_REQUIRED_MESSAGE =
  'ERR this node requires TLS; connect with TLS (distdb client --tls --tls-ca <ca.pem>, ' +
  'redis-cli --tls --cacert <ca.pem>)';

export class ClientTlsAcceptor {
  private readonly sniffer = new FirstByteSniffer(null);
  private readonly handshaker: TlsHandshaker;

  constructor(
    private readonly options: ClientTlsOptions,
    private readonly log: Logger,
    private readonly serve: (socket: Socket) => void,
  ) {
    const { material, clientAuth } = options;
    this.handshaker = new TlsHandshaker({
      ...secureContextOptions(material),
      requestCert: clientAuth,
      // Certificates are checked once the handshake is done, so a refusal can say why in a RESP error.
      rejectUnauthorized: false,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    });
  }

  /** Connections not yet handed over (waiting for their first byte or handshaking); they count as clients. */
  get pending(): number {
    return this.sniffer.size + this.handshaker.size;
  }

  /** Serves new handshakes with `material` (a reload); connections already made keep theirs. */
  setMaterial(material: TlsMaterial): void {
    this.handshaker.setSecureContext(secureContextOptions(material));
  }

  /** Takes a freshly accepted connection. */
  accept(socket: Socket): void {
    const remote = remoteOf(socket);
    this.sniffer.sniff(socket, (isTls) => {
      if (isTls) {
        this.handshaker.start(
          socket,
          (tls) => this.secured(tls, remote),
          (reason) => this.log.info(`TLS handshake with client ${remote} failed: ${reason}`),
        );
        return;
      }
      if (this.options.required) {
        this.log.info(
          `refused a plain-TCP client from ${remote}: TLS is required (--tls-required)`,
        );
        refuseConnection(socket, TLS_REQUIRED_MESSAGE);
        return;
      }
      this.serve(socket);
      socket.resume();
    });
  }

  /** Closes the connections that have not sent their first byte (handshakes end within their timeout). */
  close(): void {
    this.sniffer.close();
  }

  private secured(socket: TLSSocket, remote: string): void {
    const problem = this.options.clientAuth ? clientCertProblem(socket) : null;
    if (problem === null) return this.serve(socket);
    this.log.info(`refused TLS client ${remote}: ${problem}`);
    refuseConnection(socket, `ERR ${problem}`);
  }
}

/** Why a client's certificate is not accepted under --tls-client-auth, or null. */
function clientCertProblem(socket: TLSSocket): string | null {
  if (socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) {
    return 'this node requires a client certificate (--tls-client-auth) and none was presented; connect with --tls-cert and --tls-key';
  }
  const code = String(socket.authorizationError ?? 'unknown reason');
  const reason = verifyCodeReason(code) ?? code;
  return `this node rejected the client certificate: ${reason}`;
}
