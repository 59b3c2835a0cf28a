// Turns parsed RESP values into plain JavaScript values for the promise API.
// Bulk strings become Buffers (binary-safe); RESP3 maps become flat
// [key, value, ...] arrays so a reply has the same shape under RESP2 and RESP3.

import type { RespValue } from '../resp/types.js';
import { ReplyError } from './errors.js';

export type Reply = string | number | bigint | boolean | Buffer | null | ReplyError | Reply[];

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A reply value; an error nested inside an array becomes a ReplyError element. */
export function toReply(v: RespValue, command: string): Reply {
  switch (v.type) {
    case 'simple':
      return v.value;
    case 'error':
      return new ReplyError(v.value, command);
    case 'integer':
      return v.value;
    case 'bulk':
      return v.value === null ? null : toBuffer(v.value);
    case 'array':
      return v.value === null ? null : v.value.map((e) => toReply(e, command));
    case 'null':
      return null;
    case 'double':
      return v.value;
    case 'boolean':
      return v.value;
    case 'map':
      return v.value.flatMap(([k, val]) => [toReply(k, command), toReply(val, command)]);
    case 'set':
    case 'push':
      return v.value.map((e) => toReply(e, command));
    case 'verbatim':
      return v.value;
  }
}
