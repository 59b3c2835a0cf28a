// The server side of RESP output. encodeReply() writes any RespValue for the
// connection's protocol version, downgrading RESP3-only types for RESP2
// clients the way Redis does. The small helpers below build the common
// replies straight into one Buffer, without intermediate objects, for the
// hot path (GET/SET/DEL).

import type { RespValue, RespVersion } from './types.js';

export const OK_REPLY: Buffer = Buffer.from('+OK\r\n');
export const PONG_REPLY: Buffer = Buffer.from('+PONG\r\n');
const NULL_BULK_RESP2 = Buffer.from('$-1\r\n');
const NULL_ARRAY_RESP2 = Buffer.from('*-1\r\n');
const NULL_RESP3 = Buffer.from('_\r\n');
const EMPTY_ARRAY = Buffer.from('*0\r\n');
const SMALL_INTEGERS = Array.from({ length: 64 }, (_, i) => Buffer.from(`:${i}\r\n`));

/** The null reply: `$-1` in RESP2, `_` in RESP3. */
export function encodeNull(version: RespVersion): Buffer {
  return version === 3 ? NULL_RESP3 : NULL_BULK_RESP2;
}

export function encodeInteger(n: number | bigint): Buffer {
  if (typeof n === 'number' && n >= 0 && n < SMALL_INTEGERS.length && Number.isInteger(n)) {
    return SMALL_INTEGERS[n] as Buffer;
  }
  return Buffer.from(`:${n}\r\n`, 'latin1');
}

/** `+text` (must not contain CR or LF; they are replaced by spaces). */
export function encodeSimple(text: string): Buffer {
  return Buffer.from(`+${oneLine(text)}\r\n`);
}

/** `-CODE message`: the message starts with its code word (ERR, WRONGTYPE, TRYAGAIN, …). */
export function encodeError(message: string): Buffer {
  return Buffer.from(`-${oneLine(message)}\r\n`);
}

/** `$len\r\nbytes\r\n` in a single allocation; null gives the null reply. */
export function encodeBulk(bytes: Uint8Array | null, version: RespVersion): Buffer {
  if (bytes === null) return encodeNull(version);
  const header = `$${bytes.length}\r\n`;
  const out = Buffer.allocUnsafe(header.length + bytes.length + 2);
  let at = out.write(header, 0, 'latin1');
  out.set(bytes, at);
  at += bytes.length;
  out[at] = 0x0d;
  out[at + 1] = 0x0a;
  return out;
}

/** The bytes encodeBulk gives for a value of `length` bytes: `$length\r\n`, the value, `\r\n`. */
export function bulkReplyBytes(length: number): number {
  return 1 + digits(length) + 2 + length + 2;
}

/** The longest value whose bulk reply (bulkReplyBytes) fits in `bytes`; 0 when none does. */
export function longestBulkFitting(bytes: number): number {
  let n = Math.max(0, bytes - 6); // the framing is at least 6 bytes: `$`, a digit, two CRLFs
  while (n > 0 && bulkReplyBytes(n) > bytes) n--;
  return n;
}

/** The bytes of an array's header: `*count\r\n`. */
export function arrayHeaderBytes(count: number): number {
  return digits(count) + 3;
}

/** An array of bulk strings (and nulls), e.g. MGET's reply, in a single allocation. */
export function encodeBulkArray(
  items: ReadonlyArray<Uint8Array | null>,
  version: RespVersion,
): Buffer {
  if (items.length === 0) return EMPTY_ARRAY;
  const nul = encodeNull(version);
  let size = arrayHeaderBytes(items.length);
  for (const item of items) {
    size += item === null ? nul.length : bulkReplyBytes(item.length);
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`*${items.length}\r\n`, 0, 'latin1');
  for (const item of items) {
    if (item === null) {
      at += nul.copy(out, at);
      continue;
    }
    at += out.write(`$${item.length}\r\n`, at, 'latin1');
    out.set(item, at);
    at += item.length;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out;
}

/** Any RESP value, for a client speaking `version`. */
export function encodeReply(value: RespValue, version: RespVersion): Buffer {
  const parts: Array<Buffer> = [];
  write(value, version, parts);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

function write(v: RespValue, version: RespVersion, out: Buffer[]): void {
  switch (v.type) {
    case 'simple':
      out.push(encodeSimple(v.value));
      return;
    case 'error':
      out.push(encodeError(v.value));
      return;
    case 'integer':
      out.push(encodeInteger(v.value));
      return;
    case 'bulk':
      out.push(encodeBulk(v.value, version));
      return;
    case 'array':
      if (v.value === null) {
        out.push(version === 3 ? NULL_RESP3 : NULL_ARRAY_RESP2);
        return;
      }
      writeAggregate('*', v.value, version, out);
      return;
    case 'null':
      out.push(encodeNull(version));
      return;
    case 'double':
      if (version === 3) out.push(Buffer.from(`,${formatDouble(v.value)}\r\n`, 'latin1'));
      else out.push(encodeBulk(Buffer.from(formatDouble(v.value), 'latin1'), version));
      return;
    case 'boolean':
      if (version === 3) out.push(Buffer.from(v.value ? '#t\r\n' : '#f\r\n', 'latin1'));
      else out.push(encodeInteger(v.value ? 1 : 0));
      return;
    case 'map':
      if (version === 3) {
        out.push(Buffer.from(`%${v.value.length}\r\n`, 'latin1'));
      } else {
        out.push(Buffer.from(`*${v.value.length * 2}\r\n`, 'latin1'));
      }
      for (const [key, val] of v.value) {
        write(key, version, out);
        write(val, version, out);
      }
      return;
    case 'set':
      writeAggregate(version === 3 ? '~' : '*', v.value, version, out);
      return;
    case 'push':
      writeAggregate(version === 3 ? '>' : '*', v.value, version, out);
      return;
    case 'verbatim': {
      if (version === 3) {
        const body = Buffer.from(`${v.format.padEnd(3, ' ').slice(0, 3)}:${v.value}`);
        out.push(Buffer.from(`=${body.length}\r\n`, 'latin1'), body, CRLF);
      } else {
        out.push(encodeBulk(Buffer.from(v.value), version));
      }
      return;
    }
  }
}

const CRLF = Buffer.from('\r\n');

function writeAggregate(
  prefix: string,
  items: RespValue[],
  version: RespVersion,
  out: Buffer[],
): void {
  out.push(Buffer.from(`${prefix}${items.length}\r\n`, 'latin1'));
  for (const item of items) write(item, version, out);
}

/** Redis's spelling of doubles: inf, -inf, nan; otherwise the shortest exact decimal. */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0'; // String(-0) drops the sign
  return String(n);
}

function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}
