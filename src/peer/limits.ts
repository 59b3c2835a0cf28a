// Every bound the peer transport keeps, with its default. A limit that is
// hit is logged with the setting's name, so a person knows what to raise.

export interface PeerLimits {
  /** Largest frame (kind byte + body) sent or accepted; raft's maxSizePerMsg and snapshotChunkSize must fit in it. */
  maxFrameBytes: number;
  /** Raft messages and requests queued for one peer; beyond it new ones are dropped (and reported unreachable). */
  maxQueueMessages: number;
  /** Bytes queued for one peer (encoded messages and requests). */
  maxQueueBytes: number;
  /** Unsent bytes in a socket's buffer above which the queue stops flushing into it (backpressure). */
  writeBufferBytes: number;
  /** Requests to one peer awaiting a reply, and requests from one connection being handled. */
  maxPendingRequests: number;
  /** Accepted peer connections open at once (handshaking or not); one more is refused. */
  maxInboundConnections: number;
  /** Time to connect and finish the handshake, on both sides. */
  connectTimeoutMs: number;
  /** A connection that wrote nothing for this long sends a ping. */
  heartbeatIntervalMs: number;
  /** A connection that received nothing for this long is closed (a dead or paused peer) and redialled. */
  idleTimeoutMs: number;
  /** First reconnect delay; it doubles per failed attempt, with jitter. */
  backoffInitialMs: number;
  /** Cap on the reconnect delay. */
  backoffMaxMs: number;
}

export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxQueueMessages: 10_000,
  maxQueueBytes: 64 * 1024 * 1024,
  writeBufferBytes: 4 * 1024 * 1024,
  maxPendingRequests: 1024,
  maxInboundConnections: 128,
  connectTimeoutMs: 3000,
  heartbeatIntervalMs: 1000,
  idleTimeoutMs: 5000,
  backoffInitialMs: 100,
  backoffMaxMs: 5000,
};

/** Smallest maxFrameBytes: a handshake and a small raft batch must fit. */
export const MIN_FRAME_BYTES = 4096;

/** A socket's default write high-water mark: 'drain' only follows a buffer that passed it. */
const SOCKET_HIGH_WATER_MARK = 16 * 1024;

/** What is wrong with `limits`, as a sentence, or null when they are usable. */
export function peerLimitsProblem(limits: PeerLimits): string | null {
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in DEFAULT_PEER_LIMITS)) {
      return `unknown peer limit ${key}; the limits are ${Object.keys(DEFAULT_PEER_LIMITS).join(', ')}`;
    }
    if (!Number.isSafeInteger(value) || value <= 0) {
      return `peer limit ${key} must be a positive integer (got ${String(value)})`;
    }
  }
  if (limits.maxFrameBytes < MIN_FRAME_BYTES) {
    return `peer limit maxFrameBytes must be at least ${MIN_FRAME_BYTES} (got ${limits.maxFrameBytes})`;
  }
  if (limits.maxFrameBytes > 0xffffffff) {
    return `peer limit maxFrameBytes must fit a 32-bit length prefix (got ${limits.maxFrameBytes})`;
  }
  if (limits.writeBufferBytes < SOCKET_HIGH_WATER_MARK) {
    return `peer limit writeBufferBytes must be at least ${SOCKET_HIGH_WATER_MARK} (got ${limits.writeBufferBytes})`;
  }
  if (limits.idleTimeoutMs <= limits.heartbeatIntervalMs) {
    return (
      `peer limit idleTimeoutMs (${limits.idleTimeoutMs}) must exceed heartbeatIntervalMs ` +
      `(${limits.heartbeatIntervalMs}), or healthy idle connections are closed`
    );
  }
  if (limits.backoffMaxMs < limits.backoffInitialMs) {
    return `peer limit backoffMaxMs (${limits.backoffMaxMs}) must be at least backoffInitialMs (${limits.backoffInitialMs})`;
  }
  return null;
}
