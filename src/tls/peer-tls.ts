// Mutual TLS between the nodes of a cluster. Both sides present a
// certificate signed by the cluster CA (--tls-ca) and check the other's:
// signed by that CA, in its validity period, and naming the node id the
// peer protocol's handshake then claims (see cert-identity.ts). OpenSSL is
// told to accept any certificate (rejectUnauthorized: false) and the check
// is made here right after the handshake, before a single peer-protocol
// byte is read, so that a refusal can say which side rejected what: the
// listener tells the dialler why in a refuse frame, and both log it.

import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { certNames, identityProblem } from './cert-identity.js';
import { FirstByteSniffer } from './first-byte.js';
import { remoteOf, TlsHandshaker } from './handshaker.js';
import { verifyCodeReason } from './tls-errors.js';
import { secureContextOptions, type TlsMaterial } from './tls-material.js';

/** What the listener learnt from a connection's TLS layer. */
export interface InboundTls {
  /** Why the dialler must be refused (no or untrusted certificate, plain TCP); null: it may say hello. */
  problem: string | null;
  /** The names its certificate carries; its hello must claim one of them. */
  names: string[];
}

export class PeerTls {
  private context: SecureContext;
  private readonly sniffer: FirstByteSniffer;
  private readonly handshaker: TlsHandshaker;

  constructor(
    private material: TlsMaterial,
    private readonly nodeId: string,
    private readonly log: Logger,
    handshakeTimeoutMs: number,
  ) {
    this.context = createSecureContext(secureContextOptions(material));
    this.sniffer = new FirstByteSniffer(handshakeTimeoutMs);
    this.handshaker = new TlsHandshaker({
      ...secureContextOptions(material),
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: handshakeTimeoutMs,
    });
  }

  /** New dials and inbound handshakes use `material` from now on (a reload); open connections keep theirs. */
  setMaterial(material: TlsMaterial): void {
    const options = secureContextOptions(material);
    this.context = createSecureContext(options);
    this.handshaker.setSecureContext(options);
    this.material = material;
  }

  /** Inbound connections not yet handed over (waiting for their first byte or handshaking). */
  get pending(): number {
    return this.sniffer.size + this.handshaker.size;
  }

  /**
   * Takes an accepted peer connection; `then` gets the socket to speak the
   * peer protocol on (the TLS one, or for a plain dialler the raw one, with
   * a problem to refuse it with) once that is known.
   */
  accept(raw: Socket, then: (socket: Socket, info: InboundTls) => void): void {
    const remote = remoteOf(raw);
    this.sniffer.sniff(raw, (isTls) => {
      if (!isTls) {
        then(raw, {
          problem:
            `node ${this.nodeId} takes only TLS peer connections and the dialling node connected ` +
            'without TLS; give every node --tls-cert, --tls-key and --tls-ca',
          names: [],
        });
        raw.resume();
        return;
      }
      this.handshaker.start(
        raw,
        (socket) => then(socket, { problem: this.diallerProblem(socket), names: namesOf(socket) }),
        (reason) =>
          this.log.warn(
            `TLS handshake with a peer connection from ${remote} failed: ${reason}` +
              (reason.includes('closed the connection')
                ? " (a node that rejects this node's certificate does that; its log says why)"
                : ''),
          ),
      );
    });
  }

  /** Closes the connections that have not sent their first byte (handshakes end within their timeout). */
  close(): void {
    this.sniffer.close();
  }

  /** Dials a peer with this node's certificate; verify the answer with listenerProblem on 'secureConnect'. */
  dial(host: string, port: number, localAddress: string | undefined): TLSSocket {
    return connect({
      socket: netConnect({ host, port, localAddress }),
      secureContext: this.context,
      rejectUnauthorized: false,
      // Identity is the node id, checked by listenerProblem, not the address.
      checkServerIdentity: () => undefined,
    });
  }

  /** Why the dialled node's certificate is not acceptable (`expectedId` '' accepts any node id), or null. */
  listenerProblem(socket: TLSSocket, expectedId: string): string | null {
    if (!socket.authorized) {
      const code = String(socket.authorizationError ?? 'unknown reason');
      return `this node rejected the peer's certificate: ${verifyCodeReason(code) ?? code}; every node's certificate must be signed by the cluster CA (--tls-ca ${this.material.paths.ca ?? ''})`;
    }
    if (expectedId === '') return null;
    return identityProblem(
      namesOf(socket),
      expectedId,
      "this node rejected the peer's certificate: the",
    );
  }

  /** Why a dialling node's certificate is not acceptable, or null. */
  private diallerProblem(socket: TLSSocket): string | null {
    if (socket.authorized) return null;
    const cert = socket.getPeerCertificate();
    if (cert === null || Object.keys(cert).length === 0) {
      return `node ${this.nodeId} requires a certificate from every dialling node and none was presented; give the dialling node --tls-cert and --tls-key`;
    }
    const code = String(socket.authorizationError ?? 'unknown reason');
    return (
      `node ${this.nodeId} rejected the dialling node's certificate: ${verifyCodeReason(code) ?? code}; ` +
      'every node certificate must be signed by the cluster CA (--tls-ca)'
    );
  }
}

/** The names in a connected peer's certificate. */
export function namesOf(socket: TLSSocket): string[] {
  const cert = socket.getPeerCertificate();
  return cert === null || Object.keys(cert).length === 0 ? [] : certNames(cert);
}
