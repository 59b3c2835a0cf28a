// The client side of RESP input: turns a server's bytes into RespValues,
// RESP2 and RESP3. Incremental: push() chunks, then call next() until it
// returns null. Aggregates under construction live on a stack, so a reply
// split at any byte boundary is never re-parsed from its start.
//
// RESP3 big numbers (`(`) become integers with a bigint value; attributes
// (`|`) are read and dropped, as clients that do not ask for them do.

import { InputBuffer } from './input-buffer.js';
import { RespProtocolError } from './protocol-error.js';
import { parseInteger } from './parse-integer.js';
import type { RespValue } from './types.js';

export interface ReplyLimits {
  /** Largest bulk string, verbatim string or blob error, in bytes. */
  maxBulkLength: number;
  /** Most elements in one array, set, push or map (map: pairs). */
  maxAggregateLength: number;
  /** Longest simple string, error or number line, in bytes. */
  maxLineLength: number;
}

export const DEFAULT_REPLY_LIMITS: Readonly<ReplyLimits> = {
  maxBulkLength: 512 * 1024 * 1024,
  maxAggregateLength: 2 ** 31 - 1,
  maxLineLength: 64 * 1024 * 1024,
};

type AggregateKind = 'array' | 'set' | 'push' | 'map' | 'attribute';

interface Aggregate {
  kind: AggregateKind;
  items: RespValue[];
  /** Values still to read (a map needs two per entry). */
  remaining: number;
}

const CR = 0x0d;
/** Returned by readValue when it opened a non-empty aggregate. */
const OPENED = Symbol('opened');

export class ReplyParser {
  private readonly input = new InputBuffer();
  private readonly limits: ReplyLimits;
  private readonly stack: Aggregate[] = [];
  /** Length of a bulk-like value whose header was read, or -1. */
  private pendingLength = -1;
  /** Type byte of that bulk-like value. */
  private pendingType = 0;
  private failure: RespProtocolError | null = null;

  constructor(limits: Partial<ReplyLimits> = {}) {
    this.limits = { ...DEFAULT_REPLY_LIMITS, ...limits };
  }

  /** Adds bytes received from the server. The parser keeps references to them. */
  push(chunk: Uint8Array): void {
    this.input.append(chunk);
  }

  /** The next complete reply, or null if more bytes are needed. */
  next(): RespValue | null {
    if (this.failure) throw this.failure;
    try {
      return this.parse();
    } catch (err) {
      if (err instanceof RespProtocolError) this.failure = err;
      throw err;
    }
  }

  private parse(): RespValue | null {
    while (true) {
      const read = this.readValue();
      if (read === null) return null;
      if (read === OPENED) continue;
      let value: RespValue = read;
      while (true) {
        const top = this.stack[this.stack.length - 1];
        if (top === undefined) return value;
        top.items.push(value);
        if (--top.remaining > 0) break;
        this.stack.pop();
        if (top.kind === 'attribute') break; // dropped; the value it describes follows
        value = finish(top);
      }
    }
  }

  /** Reads one value, or opens an aggregate; null when more bytes are needed. */
  private readValue(): RespValue | typeof OPENED | null {
    const input = this.input;
    if (this.pendingLength >= 0) return this.readBulkBody();
    if (input.available === 0) return null;
    const type = input.buf[input.start] as number;
    const line = this.readLine();
    if (line === null) return null;
    switch (type) {
      case 0x2b: // + simple string
        return { type: 'simple', value: line.toString('utf8', 1) };
      case 0x2d: // - error
        return { type: 'error', value: line.toString('utf8', 1) };
      case 0x3a: // : integer
        return { type: 'integer', value: integerValue(line) };
      case 0x28: // ( big number
        return { type: 'integer', value: bigIntValue(line) };
      case 0x5f: // _ null
        if (line.length !== 1) throw new RespProtocolError('Protocol error: invalid null');
        return { type: 'null' };
      case 0x2c: // , double
        return { type: 'double', value: doubleValue(line) };
      case 0x23: // # boolean
        if (line.length === 2 && line[1] === 0x74) return { type: 'boolean', value: true };
        if (line.length === 2 && line[1] === 0x66) return { type: 'boolean', value: false };
        throw new RespProtocolError('Protocol error: invalid boolean');
      case 0x24: // $ bulk string
      case 0x21: // ! blob error
      case 0x3d: {
        // = verbatim string
        const len = length(line, this.limits.maxBulkLength, 'bulk');
        if (len < 0) {
          if (type !== 0x24) throw new RespProtocolError('Protocol error: invalid bulk length');
          return { type: 'bulk', value: null };
        }
        this.pendingLength = len;
        this.pendingType = type;
        if (len >= 32 * 1024) input.reserve(len + 2);
        return this.readBulkBody();
      }
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: // > push
      case 0x25: // % map
      case 0x7c: {
        // | attribute
        const kind = AGGREGATE_KINDS[type] as AggregateKind;
        const n = length(line, this.limits.maxAggregateLength, 'aggregate');
        if (n < 0) {
          if (kind !== 'array')
            throw new RespProtocolError('Protocol error: invalid aggregate length');
          return { type: 'array', value: null };
        }
        const perEntry = kind === 'map' || kind === 'attribute' ? 2 : 1;
        const agg: Aggregate = { kind, items: [], remaining: n * perEntry };
        if (agg.remaining === 0) {
          if (kind === 'attribute') return this.readValue();
          return finish(agg);
        }
        this.stack.push(agg);
        return OPENED;
      }
      default:
        throw new RespProtocolError(
          `Protocol error: unexpected reply type byte 0x${type.toString(16).padStart(2, '0')}`,
        );
    }
  }

  private readBulkBody(): RespValue | null {
    const len = this.pendingLength;
    const body = this.input.takeTerminated(len, 'Protocol error: expected CRLF after bulk string');
    if (body === null) return null;
    this.pendingLength = -1;
    if (this.pendingType === 0x21) return { type: 'error', value: body.toString('utf8') };
    if (this.pendingType === 0x3d) {
      if (len < 4 || body[3] !== 0x3a) {
        throw new RespProtocolError('Protocol error: verbatim string without a format prefix');
      }
      return {
        type: 'verbatim',
        format: body.toString('latin1', 0, 3),
        value: body.toString('utf8', 4),
      };
    }
    return { type: 'bulk', value: body };
  }

  /** The next line (type byte included) without CR LF, or null if incomplete. */
  private readLine(): Buffer | null {
    const input = this.input;
    const lf = input.lineEnd();
    if (lf < 0) {
      if (input.available > this.limits.maxLineLength) {
        throw new RespProtocolError('Protocol error: reply line too long');
      }
      return null;
    }
    const lineStart = input.start;
    if (lf === lineStart || input.buf[lf - 1] !== CR) {
      throw new RespProtocolError('Protocol error: expected CRLF line ending');
    }
    input.start = lf + 1;
    return input.buf.subarray(lineStart, lf - 1);
  }
}

const AGGREGATE_KINDS: Record<number, AggregateKind> = {
  0x2a: 'array',
  0x7e: 'set',
  0x3e: 'push',
  0x25: 'map',
  0x7c: 'attribute',
};

function finish(agg: Aggregate): RespValue {
  switch (agg.kind) {
    case 'map': {
      const pairs: Array<[RespValue, RespValue]> = [];
      for (let i = 0; i < agg.items.length; i += 2) {
        pairs.push([agg.items[i] as RespValue, agg.items[i + 1] as RespValue]);
      }
      return { type: 'map', value: pairs };
    }
    case 'set':
      return { type: 'set', value: agg.items };
    case 'push':
      return { type: 'push', value: agg.items };
    default:
      return { type: 'array', value: agg.items };
  }
}

function length(line: Buffer, max: number, what: string): number {
  const n = parseInteger(line, 1);
  if (n === null || n < -1 || n > max) {
    throw new RespProtocolError(`Protocol error: invalid ${what} length`);
  }
  return n;
}

/** A number when it is exact, else a bigint (RESP integers are 64-bit). */
function integerValue(line: Buffer): number | bigint {
  const n = parseInteger(line, 1);
  if (n !== null) return n;
  const big = bigIntValue(line);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big;
}

function bigIntValue(line: Buffer): bigint {
  const text = line.toString('latin1', 1);
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError('Protocol error: invalid integer');
  return BigInt(text);
}

function doubleValue(line: Buffer): number {
  const text = line.toString('latin1', 1);
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan' || text === '-nan') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new RespProtocolError('Protocol error: invalid double');
  return n;
}
