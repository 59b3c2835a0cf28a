// The client side of RESP output: a command is a multibulk array of bulk
// strings, the same bytes the server's encodeBulkArray writes (no nulls, so
// the protocol version does not matter).

import { encodeBulkArray } from './reply-encoder.js';

export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  return encodeBulkArray(
    args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
    2,
  );
}
