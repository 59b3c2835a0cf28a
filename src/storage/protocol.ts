// The storage engine's wire protocol: constants shared by the server and the
// client. See docs/storage.md for the frame layout and every operation.

/** Bumped on any incompatible change; the hello checks it. */
export const PROTOCOL_VERSION = 7;
/** First four bytes of a hello payload: 'DDBS'. Rejects a peer that speaks something else. */
export const HELLO_MAGIC = 0x44444253;

/** Default largest frame (the bytes after the length prefix): 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Smallest allowed maximum: a hello and any error must fit. */
export const MIN_MAX_FRAME_BYTES = 1024;

/** length:u32, then requestId:u32 op:u8 group:u32; `length` counts everything after itself. */
export const LENGTH_PREFIX_BYTES = 4;
export const HEADER_BYTES = 9;
/** An apply's or raftAppend's header, first index (or applied index), count and hard-state flag. */
export const BATCH_FIXED_BYTES = HEADER_BYTES + 8 + 4 + 1;
/**
 * Replies can be larger than requests (apply with returnOld, scans), so the
 * client accepts frames up to this multiple of the engine's request limit.
 */
export const REPLY_FRAME_FACTOR = 4;

/**
 * A getMany reply stops adding values once it holds this many bytes (it
 * always holds at least one); the client asks again for the rest. Bounds what
 * a batch of reads makes the engine hold, like one large value does.
 */
export const GET_MANY_REPLY_BYTES = 1024 * 1024;
/** Keys one getMany request carries at most. */
export const GET_MANY_MAX_KEYS = 1024;

export const Op = {
  hello: 0x01,
  apply: 0x10,
  get: 0x11,
  scan: 0x12,
  stats: 0x13,
  /** Many keys of one group in one frame; answers a prefix of them (GET_MANY_REPLY_BYTES). */
  getMany: 0x14,
  raftAppend: 0x20,
  raftTruncate: 0x21,
  raftCompact: 0x22,
  raftSaveSnapshot: 0x23,
  raftLoad: 0x24,
  raftReadLog: 0x25,
  /** State images streamed in chunks (image-sessions.ts); 0x26/0x27 (one-frame images) are retired. */
  imageExportBegin: 0x28,
  imageExportChunk: 0x29,
  imageSessionEnd: 0x2a,
  imageInstallBegin: 0x2b,
  imageInstallChunk: 0x2c,
  imageInstallCommit: 0x2d,
  raftSnapshotFromState: 0x2e,
  raftReadSnapshotChunk: 0x2f,
  /** A reply that reports a failure: code:u16 message:utf8. */
  error: 0x7f,
} as const;

export const ErrorCode = {
  /** Framing is lost (bad length); the connection is closed after the error frame. */
  badFrame: 1,
  /** A frame larger than the maximum; the connection is closed. */
  frameTooLarge: 2,
  /** The hello's magic or version is not ours; the connection is closed. */
  versionMismatch: 3,
  /** The first frame was not a hello; the connection is closed. */
  helloRequired: 4,
  unknownOp: 5,
  /** The payload does not parse for its op; only this request fails. */
  badRequest: 6,
  /** A request exceeds a limit (key size, scan limit, ...). */
  limit: 7,
  /** The request conflicts with what is stored (e.g. an applied index going backwards, a log gap). */
  conflict: 8,
  /** The backend failed (disk full, I/O error); nothing of the request was written. */
  internal: 9,
  /** The engine is stopping; retry against the restarted engine. */
  shuttingDown: 10,
} as const;

export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return `code ${code}`;
}
