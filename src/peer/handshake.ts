// The start of every peer connection. Both sides first send a preamble —
// magic bytes and the protocol version — so a peer port reached by the
// wrong program (a browser, redis-cli, another service) is told apart at
// once. Then the dialler sends a hello and the listener checks it. Refusal
// reasons are phrased so they read right in either node's log.

import type { NodeId } from '../raft/types.js';
import type { Hello } from './frames.js';

export const MAGIC = Buffer.from('DDBP', 'latin1');
export const PROTOCOL_VERSION = 1;
export const PREAMBLE_BYTES = MAGIC.length + 2;
/** Largest frame accepted before the handshake is done (a hello or a refusal). */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

export function encodePreamble(version = PROTOCOL_VERSION): Buffer {
  const b = Buffer.allocUnsafe(PREAMBLE_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(version, MAGIC.length);
  return b;
}

const HTTP_METHODS = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) /;

/** What the first bytes of a connection look like, for a log line a person can act on. */
function describeForeignBytes(b: Buffer): string {
  const text = b.toString('latin1');
  const shown = JSON.stringify(text.replace(/[^\x20-\x7e]/g, '.'));
  if (HTTP_METHODS.test(text) || text.startsWith('HTTP/')) return `an HTTP message (${shown})`;
  if (b[0] === 0x16 && b[1] === 0x03) return 'a TLS handshake';
  if (/^[*$+\-:]/.test(text) || /^[A-Za-z]+[ \r\n]/.test(text)) {
    return `a RESP or text command, as redis-cli or nc send (${shown})`;
  }
  return `unknown bytes (hex ${b.toString('hex')})`;
}

/** Null when `b` is our preamble; otherwise why the connection must be refused. */
export function preambleProblem(b: Buffer): string | null {
  if (!b.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (b[0] === 0x16 && b[1] === 0x03) {
      return (
        'not the distdb peer protocol: the first bytes are a TLS handshake: the dialling node uses ' +
        'TLS (--tls-cert) and this node does not; give every node the same --tls-* settings'
      );
    }
    return (
      `not the distdb peer protocol: the first bytes are ${describeForeignBytes(b)}; ` +
      'is a client pointed at the peer port, or a peer at some other service?'
    );
  }
  const version = b.readUInt16BE(MAGIC.length);
  if (version !== PROTOCOL_VERSION) {
    return (
      `peer protocol version mismatch: one side speaks version ${version}, the other ` +
      `${PROTOCOL_VERSION}; run the same distdb version on every node`
    );
  }
  return null;
}

/** Null when a listener that is `self` accepts `hello`; otherwise the refusal reason. */
export function helloProblem(
  hello: Hello,
  self: { nodeId: NodeId; clusterId: string },
): string | null {
  if (hello.clusterId !== self.clusterId) {
    return (
      `cluster id mismatch: the dialling node ${JSON.stringify(hello.from)} is in cluster ` +
      `${JSON.stringify(hello.clusterId)} but node ${JSON.stringify(self.nodeId)} is in cluster ` +
      `${JSON.stringify(self.clusterId)}; check --cluster-id on both`
    );
  }
  if (hello.from === '') return 'the dialling node sent an empty node id';
  if (hello.from === self.nodeId) {
    return (
      `duplicate node id: the dialling node says it is ${JSON.stringify(hello.from)}, which is ` +
      "the listening node's own id; give every node its own --id"
    );
  }
  if (hello.to !== '' && hello.to !== self.nodeId) {
    return (
      `wrong node: the dialling node ${JSON.stringify(hello.from)} expected node ` +
      `${JSON.stringify(hello.to)} at this address, but this is node ${JSON.stringify(self.nodeId)}; ` +
      `check the address given for ${JSON.stringify(hello.to)} in --peers`
    );
  }
  return null;
}
