// The peer transport between coordinators (see docs/peer-protocol.md).
export { startPeerTransport, PeerConfigError } from './transport.js';
export { PeerRequestError, type PeerRequestFailure } from './errors.js';
export { DEFAULT_PEER_LIMITS, type PeerLimits } from './limits.js';
export type {
  OutboundState,
  PeerStats,
  PeerTransport,
  PeerTransportOptions,
  PeerTransportStats,
} from './types.js';
