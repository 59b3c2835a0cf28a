// Error replies counted by their code word (ERR, TRYAGAIN, CLUSTERDOWN, ...),
// read from the encoded reply's first bytes without decoding it. Only the
// words below get their own series; any other counts as OTHER, so the number
// of series stays bounded whatever a handler writes.

import type { Registry } from 'prom-client';
import { registerScraped } from './scraped-metric.js';

/** The code words distdb and Redis clients know. */
const ERROR_KINDS: readonly string[] = [
  'ERR',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOAUTH',
  'WRONGPASS',
  'NOPERM',
  'DENIED',
  'WRONGTYPE',
  'READONLY',
  'LOADING',
  'BUSY',
  'NOPROTO',
  'EXECABORT',
];
const OTHER = 'OTHER';

const KIND_BYTES = ERROR_KINDS.map((k) => Buffer.from(k, 'latin1'));
const SPACE = 0x20;
/** '-' starts a simple error, '!' a RESP3 blob error ("!<len>\r\n<code> ..."). */
const SIMPLE_ERROR = 0x2d;
const BLOB_ERROR = 0x21;

export class ReplyErrors {
  /** counts[i] for ERROR_KINDS[i]; the last one for OTHER. */
  private readonly counts = new Float64Array(ERROR_KINDS.length + 1);

  constructor(registry: Registry) {
    registerScraped(registry, {
      name: 'distdb_command_errors_total',
      help: `Error replies, by code word (${ERROR_KINDS.join(', ')}; anything else is ${OTHER})`,
      type: 'counter',
      values: () =>
        [...ERROR_KINDS, OTHER].map((kind, i) => ({
          labels: { kind },
          value: this.counts[i] as number,
        })),
    });
  }

  /** Counts `reply` if it is an error reply. */
  note(reply: Buffer): void {
    const first = reply[0];
    if (first === SIMPLE_ERROR) this.counts[kindAt(reply, 1)]!++;
    else if (first === BLOB_ERROR) this.counts[kindAt(reply, reply.indexOf(0x0a) + 1)]!++;
  }
}

function kindAt(reply: Buffer, start: number): number {
  for (let k = 0; k < KIND_BYTES.length; k++) {
    const word = KIND_BYTES[k] as Buffer;
    const end = start + word.length;
    if (end < reply.length && reply[end] === SPACE && word.compare(reply, start, end) === 0) {
      return k;
    }
  }
  return ERROR_KINDS.length;
}
