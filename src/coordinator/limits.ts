// Every bound the coordinator puts on a client, with its default and the
// setting that changes it (flag and environment variable). Error messages
// name the setting, so a person who hits a limit knows what to raise.

import { arrayHeaderBytes, bulkReplyBytes, longestBulkFitting } from '../resp/reply-encoder.js';
import { ARGUMENT_COST_BYTES, type RequestLimits } from '../resp/request-parser.js';
import { STORAGE_MAX_KEY_BYTES } from '../storage/api.js';

export interface CoordinatorLimits extends RequestLimits {
  /** Largest key, in bytes. */
  maxKeySize: number;
  /** Largest value, in bytes. */
  maxValueSize: number;
  /** Most client connections at once; one more is refused with an error. */
  maxClients: number;
  /** Reply bytes queued for a client that does not read them; beyond it the client is disconnected. */
  maxOutputBuffer: number;
  /** Commands of one connection in flight at once; beyond it the connection is not read (backpressure). */
  maxPipeline: number;
  /** SCAN cursors remembered (least recently used are forgotten). */
  maxScanCursors: number;
}

export interface LimitSetting {
  key: keyof CoordinatorLimits;
  flag: string;
  env: string;
  kind: 'bytes' | 'count';
  default: number;
  description: string;
}

/** The settings, in the order `--help` and docs/protocol.md list them. */
export const LIMIT_SETTINGS: readonly LimitSetting[] = [
  {
    key: 'maxKeySize',
    flag: '--max-key-size',
    env: 'DISTDB_MAX_KEY_SIZE',
    kind: 'bytes',
    default: 1024,
    description: `largest key; at most ${STORAGE_MAX_KEY_BYTES}, the storage engine's limit`,
  },
  {
    key: 'maxValueSize',
    flag: '--max-value-size',
    env: 'DISTDB_MAX_VALUE_SIZE',
    kind: 'bytes',
    default: 1024 * 1024,
    description: 'largest value; a reply carrying one must fit --max-output-buffer',
  },
  {
    key: 'maxInlineLength',
    flag: '--max-inline-length',
    env: 'DISTDB_MAX_INLINE_LENGTH',
    kind: 'bytes',
    default: 64 * 1024,
    description: 'longest inline command line (and *N / $N header line)',
  },
  {
    key: 'maxBulkLength',
    flag: '--max-bulk-length',
    env: 'DISTDB_MAX_BULK_LENGTH',
    kind: 'bytes',
    default: 4 * 1024 * 1024,
    description: 'largest single argument ($N); at least the largest key and value',
  },
  {
    key: 'maxMultibulkLength',
    flag: '--max-multibulk-length',
    env: 'DISTDB_MAX_MULTIBULK_LENGTH',
    kind: 'count',
    default: 1024 * 1024,
    description: 'most arguments in one command (*N)',
  },
  {
    key: 'maxRequestSize',
    flag: '--max-request-size',
    env: 'DISTDB_MAX_REQUEST_SIZE',
    kind: 'bytes',
    default: 16 * 1024 * 1024,
    description: `largest whole command (each argument counts ${ARGUMENT_COST_BYTES} bytes more than its length), and most bytes of one connection's commands in flight`,
  },
  {
    key: 'maxClients',
    flag: '--max-clients',
    env: 'DISTDB_MAX_CLIENTS',
    kind: 'count',
    default: 10_000,
    description: 'most client connections at once',
  },
  {
    key: 'maxOutputBuffer',
    flag: '--max-output-buffer',
    env: 'DISTDB_MAX_OUTPUT_BUFFER',
    kind: 'bytes',
    default: 64 * 1024 * 1024,
    description:
      'reply bytes a client may hold: reads wait while their largest replies (--max-value-size per key) and the unwritten ones would pass it; beyond it, or full with nothing read for 1 s, the client is disconnected; at least one --max-value-size value plus its RESP framing',
  },
  {
    key: 'maxPipeline',
    flag: '--max-pipeline',
    env: 'DISTDB_MAX_PIPELINE',
    kind: 'count',
    default: 1024,
    description: 'commands of one connection in flight; beyond it reading pauses (backpressure)',
  },
  {
    key: 'maxScanCursors',
    flag: '--max-scan-cursors',
    env: 'DISTDB_MAX_SCAN_CURSORS',
    kind: 'count',
    default: 100_000,
    description: 'SCAN cursors remembered; the least recently used are forgotten',
  },
];

export const DEFAULT_LIMITS: Readonly<CoordinatorLimits> = Object.fromEntries(
  LIMIT_SETTINGS.map((s) => [s.key, s.default]),
) as unknown as CoordinatorLimits;

/** How a person raises a limit, for error messages: `--max-value-size (DISTDB_MAX_VALUE_SIZE)`. */
export function settingName(key: keyof CoordinatorLimits): string {
  const s = LIMIT_SETTINGS.find((x) => x.key === key);
  return s ? `${s.flag} (${s.env})` : key;
}

/**
 * The largest reply that carries one value of `valueSize` bytes: an MGET of
 * one key, `*1\r\n$<n>\r\n<value>\r\n` (a GET's is 4 bytes shorter).
 */
export function oneValueReplyBytes(valueSize: number): number {
  return arrayHeaderBytes(1) + bulkReplyBytes(valueSize);
}

/** The largest value whose reply (oneValueReplyBytes) fits in `outputBuffer` bytes. */
function largestValueFor(outputBuffer: number): number {
  return longestBulkFitting(outputBuffer - arrayHeaderBytes(1));
}

/** Checks that the limits fit together; returns a message naming what to change, or null. */
export function limitsProblem(l: CoordinatorLimits): string | null {
  for (const s of LIMIT_SETTINGS) {
    const v = l[s.key];
    if (!Number.isSafeInteger(v) || v <= 0)
      return `${s.flag} must be a positive whole number, got ${v}`;
  }
  // Refused rather than clamped: a limit the node cannot honour would be a
  // setting that silently means something else, and would differ between
  // nodes configured alike on different versions.
  if (l.maxKeySize > STORAGE_MAX_KEY_BYTES) {
    return `${settingName('maxKeySize')} is ${l.maxKeySize} bytes, above the storage engine's key limit of ${STORAGE_MAX_KEY_BYTES} bytes; set it to ${STORAGE_MAX_KEY_BYTES} or less`;
  }
  if (l.maxBulkLength < l.maxValueSize || l.maxBulkLength < l.maxKeySize) {
    return `--max-bulk-length (${l.maxBulkLength}) must be at least --max-value-size (${l.maxValueSize}) and --max-key-size (${l.maxKeySize}), so oversized keys and values get a clear error instead of a protocol error`;
  }
  // A reply that cannot fit the output limit disconnects the client that
  // asked for it, so a value above it could be written but never read.
  const reply = oneValueReplyBytes(l.maxValueSize);
  if (l.maxOutputBuffer < reply) {
    return (
      `${settingName('maxOutputBuffer')} is ${l.maxOutputBuffer} bytes, too small for a reply carrying one ` +
      `${settingName('maxValueSize')} value of ${l.maxValueSize} bytes (${reply} bytes with its ` +
      `${reply - l.maxValueSize} bytes of RESP framing): a client reading such a value would be disconnected ` +
      `instead of answered; raise --max-output-buffer to at least ${reply} or lower --max-value-size to at most ` +
      `${largestValueFor(l.maxOutputBuffer)}`
    );
  }
  if (l.maxRequestSize < l.maxBulkLength) {
    return `--max-request-size (${l.maxRequestSize}) must be at least --max-bulk-length (${l.maxBulkLength})`;
  }
  return null;
}
