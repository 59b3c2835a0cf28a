// Splits an inline command line (`SET "a b" 'c'`) into arguments with Redis's
// quoting rules (sdssplitargs): "double quotes" understand \n \r \t \b \a,
// \\ and \xHH escapes; 'single quotes' understand only \'; a closing quote
// must be followed by whitespace or the end of the line.

import { RespProtocolError } from './protocol-error.js';

const SPACE = 0x20;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  // ' ', \t, \n, \v, \f, \r, and NUL (which ends a token in Redis's C strings).
  return c === SPACE || (c >= 0x09 && c <= 0x0d) || c === 0;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const ESCAPES: Record<number, number> = {
  0x6e: 0x0a, // n
  0x72: 0x0d, // r
  0x74: 0x09, // t
  0x62: 0x08, // b
  0x61: 0x07, // a
};

const UNBALANCED = 'Protocol error: unbalanced quotes in request';

/** Arguments of one inline line (without its line terminator). */
export function splitInlineArgs(line: Buffer): Buffer[] {
  const args: Buffer[] = [];
  const n = line.length;
  let p = 0;
  while (true) {
    while (p < n && isSpace(line[p] as number)) p++;
    if (p >= n) return args;
    // Fast path: a token without quotes is a slice of the line, no copy.
    const tokenStart = p;
    while (p < n) {
      const c = line[p] as number;
      if (isSpace(c) || c === DQUOTE || c === SQUOTE) break;
      p++;
    }
    if (p >= n || isSpace(line[p] as number)) {
      args.push(line.subarray(tokenStart, p));
      continue;
    }
    // Slow path: the token contains quotes; build it byte by byte.
    const out: number[] = [];
    for (let i = tokenStart; i < p; i++) out.push(line[i] as number);
    p = readQuotedToken(line, p, out);
    args.push(Buffer.from(out));
  }
}

/** Continues a token at `p` (which may open quotes); returns the index after the token. */
function readQuotedToken(line: Buffer, p: number, out: number[]): number {
  const n = line.length;
  while (p < n) {
    const c = line[p] as number;
    if (isSpace(c)) return p;
    if (c === DQUOTE) {
      p++;
      while (true) {
        if (p >= n) throw new RespProtocolError(UNBALANCED);
        const d = line[p] as number;
        if (d === BACKSLASH && p + 3 < n && line[p + 1] === 0x78) {
          const hi = hexValue(line[p + 2] as number);
          const lo = hexValue(line[p + 3] as number);
          if (hi >= 0 && lo >= 0) {
            out.push(hi * 16 + lo);
            p += 4;
            continue;
          }
        }
        if (d === BACKSLASH && p + 1 < n) {
          const e = line[p + 1] as number;
          out.push(ESCAPES[e] ?? e);
          p += 2;
          continue;
        }
        if (d === DQUOTE) return afterClosingQuote(line, p);
        out.push(d);
        p++;
      }
    }
    if (c === SQUOTE) {
      p++;
      while (true) {
        if (p >= n) throw new RespProtocolError(UNBALANCED);
        const d = line[p] as number;
        if (d === BACKSLASH && line[p + 1] === SQUOTE) {
          out.push(SQUOTE);
          p += 2;
          continue;
        }
        if (d === SQUOTE) return afterClosingQuote(line, p);
        out.push(d);
        p++;
      }
    }
    out.push(c);
    p++;
  }
  return p;
}

/** The index after the closing quote at `p`; the quote must end the token, as in Redis. */
function afterClosingQuote(line: Buffer, p: number): number {
  const next = p + 1;
  if (next < line.length && !isSpace(line[next] as number)) throw new RespProtocolError(UNBALANCED);
  return next;
}
