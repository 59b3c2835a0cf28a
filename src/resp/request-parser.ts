// The server side of RESP: turns the bytes a client sends into commands (an
// array of binary-safe arguments). Incremental: push() chunks as they arrive,
// then call next() until it returns null. Parsing state survives between
// chunks, so a request split at any byte boundary costs no re-parsing.
//
// Two request forms, as in Redis:
//   multibulk  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n   (what client libraries send)
//   inline     GET k\r\n                        (a person typing into nc)

import { InputBuffer } from './input-buffer.js';
import { splitInlineArgs } from './inline-args.js';
import { parseInteger } from './parse-integer.js';
import { RespProtocolError } from './protocol-error.js';

export interface RequestLimits {
  /** Longest inline command line, and longest `*N` / `$N` header line, in bytes. */
  maxInlineLength: number;
  /** Largest single argument (`$N`), in bytes. */
  maxBulkLength: number;
  /** Most arguments in one multibulk command (`*N`). */
  maxMultibulkLength: number;
  /** Largest whole command (headers and arguments), in bytes. */
  maxRequestSize: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = {
  maxInlineLength: 64 * 1024,
  maxBulkLength: 4 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxRequestSize: 16 * 1024 * 1024,
};

const CR = 0x0d;
const STAR = 0x2a;
const DOLLAR = 0x24;
/**
 * What holding one argument costs beyond its bytes (a Buffer view is ~100
 * bytes of heap). It counts toward maxRequestSize, so a command of a million
 * empty arguments (6 MB on the wire) cannot make the node hold 200 MB.
 */
export const ARGUMENT_COST_BYTES = 100;
/** Arguments at least this long get their whole size reserved up front (Redis: PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;

export class RequestParser {
  private readonly input = new InputBuffer();
  private readonly limits: RequestLimits;
  /** Arguments of the multibulk command being read; null between commands. */
  private args: Buffer[] | null = null;
  /** Arguments still to read for `args`. */
  private remaining = 0;
  /** Length of the bulk argument whose header was read, or -1 when a `$N` header comes next. */
  private bulkLength = -1;
  /** Bytes the current command has declared so far (checked against maxRequestSize). */
  private requestBytes = 0;
  private failure: RespProtocolError | null = null;

  constructor(limits: Partial<RequestLimits> = {}) {
    this.limits = { ...DEFAULT_REQUEST_LIMITS, ...limits };
  }

  /** Adds bytes received from the client. The parser keeps references to them. */
  push(chunk: Uint8Array): void {
    this.input.append(chunk);
  }

  /** Bytes received but not yet returned as part of a command. */
  get buffered(): number {
    return this.input.available;
  }

  /**
   * The next complete command, or null if more bytes are needed. Throws a
   * RespProtocolError on malformed input; the stream is then unusable and
   * every later call throws the same error.
   */
  next(): Buffer[] | null {
    if (this.failure) throw this.failure;
    try {
      return this.parse();
    } catch (err) {
      if (err instanceof RespProtocolError) this.failure = err;
      throw err;
    }
  }

  private parse(): Buffer[] | null {
    const input = this.input;
    while (true) {
      if (this.args === null) {
        if (input.available === 0) return null;
        if (input.buf[input.start] !== STAR) {
          const line = this.readLine('Protocol error: too big inline request');
          if (line === null) return null;
          const args = splitInlineArgs(line);
          if (args.length > 0) return args;
          continue; // an empty line is ignored, as Redis does
        }
        const count = this.readHeader('multibulk count');
        if (count === null) return null;
        if (count > this.limits.maxMultibulkLength) {
          throw new RespProtocolError('Protocol error: invalid multibulk length');
        }
        if (count <= 0) {
          this.requestBytes = 0;
          continue; // `*0` and `*-1` are no command
        }
        this.args = [];
        this.remaining = count;
      }
      while (this.remaining > 0) {
        if (this.bulkLength < 0) {
          if (input.available === 0) return null;
          const first = input.buf[input.start] as number;
          if (first !== DOLLAR) {
            throw new RespProtocolError(`Protocol error: expected '$', got '${printable(first)}'`);
          }
          const len = this.readHeader('bulk count');
          if (len === null) return null;
          if (len < 0 || len > this.limits.maxBulkLength) {
            throw new RespProtocolError('Protocol error: invalid bulk length');
          }
          this.requestBytes += len + ARGUMENT_COST_BYTES;
          if (this.requestBytes > this.limits.maxRequestSize) {
            throw new RespProtocolError(
              `Protocol error: request larger than ${this.limits.maxRequestSize} bytes (max-request-size)`,
            );
          }
          this.bulkLength = len;
          if (len >= BIG_ARG) input.reserve(len + 2);
        }
        const arg = input.takeTerminated(
          this.bulkLength,
          'Protocol error: expected CRLF after bulk argument',
        );
        if (arg === null) return null;
        this.args.push(arg);
        this.bulkLength = -1;
        this.remaining--;
      }
      const args = this.args;
      this.args = null;
      this.requestBytes = 0;
      return args;
    }
  }

  /** The next line without its CR LF, or null if it has not fully arrived. */
  private readLine(tooLong: string): Buffer | null {
    const input = this.input;
    const lf = input.lineEnd();
    if (lf < 0) {
      if (input.available > this.limits.maxInlineLength) throw new RespProtocolError(tooLong);
      return null;
    }
    const lineStart = input.start;
    if (lf - lineStart > this.limits.maxInlineLength) throw new RespProtocolError(tooLong);
    input.start = lf + 1;
    const end = lf > lineStart && input.buf[lf - 1] === CR ? lf - 1 : lf;
    return input.buf.subarray(lineStart, end);
  }

  /** Reads a `*N` or `$N` header line and returns N, or null if incomplete. */
  private readHeader(what: string): number | null {
    const before = this.input.available;
    const line = this.readLine(`Protocol error: too big ${what} string`);
    if (line === null) return null;
    this.requestBytes += before - this.input.available;
    const n = parseInteger(line, 1);
    if (n === null) {
      throw new RespProtocolError(
        what === 'bulk count'
          ? 'Protocol error: invalid bulk length'
          : 'Protocol error: invalid multibulk length',
      );
    }
    return n;
  }
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? String.fromCharCode(byte)
    : `\\x${byte.toString(16).padStart(2, '0')}`;
}
