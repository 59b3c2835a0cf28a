// TLS for client and peer connections (see README "TLS" and docs/security.md).
export { namesOf, PeerTls, type InboundTls } from './peer-tls.js';
export { certNames, identityProblem } from './cert-identity.js';
export {
  ClientTlsAcceptor,
  TLS_HANDSHAKE_TIMEOUT_MS,
  type ClientTlsOptions,
} from './client-tls.js';
export { FirstByteSniffer, TLS_HANDSHAKE_BYTE } from './first-byte.js';
export { clientTlsErrorMessage, peerTlsErrorMessage, verifyCodeReason } from './tls-errors.js';
export {
  checkNodeIdentity,
  loadTlsMaterial,
  NODE_TLS_FLAGS,
  readPem,
  secureContextOptions,
  TlsConfigError,
  type TlsFlagNames,
  type TlsMaterial,
  type TlsPaths,
} from './tls-material.js';
