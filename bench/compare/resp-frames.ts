// Every SET and GET the RESP systems (distdb, Redis) are sent, encoded once
// before the run: a request is then a slice of a prepared buffer, and the
// load generator spends its CPU on the exchange, not on encoding.

import { encodeCommand } from '../../src/resp/command-encoder.js';
import type { KeySpace } from './keyspace.js';

export class RespFrames {
  readonly set: Buffer[];
  readonly get: Buffer[];

  constructor(space: KeySpace) {
    this.set = space.keys.map((k) => encodeCommand(['SET', k, space.value]));
    this.get = space.keys.map((k) => encodeCommand(['GET', k]));
  }
}

/**
 * The length of the one complete reply at the start of `buf`, or -1 while it
 * is incomplete. Only the replies SET and GET get: simple string, error,
 * integer and bulk string (or null).
 */
export function replyLength(buf: Buffer): number {
  const eol = buf.indexOf('\r\n');
  if (eol < 0) return -1;
  const type = buf[0];
  if (type === 0x2b /* + */ || type === 0x2d /* - */ || type === 0x3a /* : */) return eol + 2;
  if (type === 0x24 /* $ */) {
    const n = Number(buf.toString('latin1', 1, eol));
    if (!Number.isInteger(n)) throw new Error(`malformed bulk length in reply: ${show(buf)}`);
    if (n < 0) return eol + 2;
    const total = eol + 2 + n + 2;
    return buf.length >= total ? total : -1;
  }
  throw new Error(`unexpected reply to SET/GET: ${show(buf)}`);
}

function show(buf: Buffer): string {
  return JSON.stringify(buf.toString('latin1', 0, Math.min(buf.length, 60)));
}
