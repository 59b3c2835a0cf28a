// How a request to a peer can fail. The codes let the coordinator choose a
// client error (-TRYAGAIN for most) without parsing messages.

export type PeerRequestFailure =
  /** The id is not in the transport's peer list. */
  | 'unknown-peer'
  /** The peer is down (the transport is waiting to redial it); the request was not sent. */
  | 'unreachable'
  /** The connection broke after the request may have been sent: it may or may not have run. */
  | 'connection-lost'
  /** No reply in time: the request may or may not have run. */
  | 'timeout'
  /** Too many requests or too much queued for this peer (maxPendingRequests, maxQueue*). */
  | 'overloaded'
  /** The payload does not fit in a frame (maxFrameBytes). */
  | 'too-large'
  /** The peer's handler failed; the message is its error. */
  | 'remote'
  /** The transport was closed or the peer removed. */
  | 'closed';

export class PeerRequestError extends Error {
  override name = 'PeerRequestError';

  constructor(
    readonly code: PeerRequestFailure,
    message: string,
  ) {
    super(message);
  }
}
