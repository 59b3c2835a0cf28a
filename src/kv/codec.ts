// Compact binary encoding of proposals (what goes into Raft log entries) and
// of their results (what the storage engine sends back to the coordinator).
//
// Layout, all integers big-endian:
//   proposal := version:u8 flags:u8 [session] command
//     flags bit 0: a session follows
//     session  := clientIdLen:u16 clientId:utf8 seqHi:u32 seqLo:u32
//   command  := op:u8 body
//     put  (1) := putFlags:u8 key value     putFlags: bits 0-1 cond (0 none, 1 nx, 2 xx), bit 2 returnOld
//     del  (2) := count:u32 key*
//     mset (3) := count:u32 (key value)*
//     cas  (4) := key nullable(expected) value
//     noop (5) := (empty)
//     incr (7) := key by:i64
//     append (8) := key value maxLength:u32
//     getdel (9) := key
//   result   := version:u8 op:u8 body
//     put  (1) := written:u8 nullable(old)
//     del  (2) := deleted:u32
//     mset (3), noop (5), session-expired (6) := (empty)
//     cas  (4) := swapped:u8 nullable(current)
//     incr (7) := value:i64
//     append (8) := length:u32
//     getdel (9) := nullable(old)
//     refused (10) := reason:u8      1 not-an-integer, 2 overflow, 3 too-long
//   bytes    := len:u32 byte*          nullable(x) := 0 | 1 x
//   i64      := two's complement, 8 bytes
//
// New commands and results take new op numbers; the version byte stays 1,
// so every entry ever written still decodes. A decoder that meets an op
// number it does not know (an engine or node older than the entry) throws
// KvCodecError naming it, so nothing is misapplied: the storage engine
// refuses the whole apply request, and a node's Raft driver stops and
// reloads rather than skip the entry. Upgrade every node before clients use
// a new command (docs/storage.md, apply).
//
// Limits (explicit, enforced on both sides): a key or value is at most
// 2^32-1 bytes, a clientId at most 65,535 UTF-8 bytes, a seq a safe integer.
// Decoded byte fields are views into the input (no copy): copy them if the
// input buffer will be reused.

import { INT64_MAX, INT64_MIN } from './int64.js';
import type { Bytes, KvCommand, KvResult, Proposal, Refusal } from './types.js';

/** The first byte of every encoded proposal and result. */
export const KV_CODEC_VERSION = 1;

/** Largest clientId, in UTF-8 bytes. */
export const MAX_CLIENT_ID_BYTES = 0xffff;

/** The only error encode/decode throw: the input is malformed, truncated or out of limits. */
export class KvCodecError extends Error {
  override name = 'KvCodecError';
}

/**
 * A proposal's command op this codec does not know: written by a newer
 * distdb. Told apart so a leader can answer a forwarded write with it at once
 * (peer-requests.ts), since nothing was proposed.
 */
export class UnknownOpError extends KvCodecError {
  override name = 'UnknownOpError';
  constructor(
    readonly op: number,
    message: string,
  ) {
    super(message);
  }
}

const OP_PUT = 1;
const OP_DEL = 2;
const OP_MSET = 3;
const OP_CAS = 4;
const OP_NOOP = 5;
const OP_SESSION_EXPIRED = 6;
const OP_INCR = 7;
const OP_APPEND = 8;
const OP_GETDEL = 9;
const OP_REFUSED = 10;

/** Wire codes of the refusal reasons, by position (0 is none). */
const REFUSALS: readonly (Refusal | undefined)[] = [
  undefined,
  'not-an-integer',
  'overflow',
  'too-long',
];

const FLAG_SESSION = 1;
const PUT_COND_MASK = 3;
const PUT_COND_NX = 1;
const PUT_COND_XX = 2;
const PUT_RETURN_OLD = 4;

const MAX_U32 = 0xffffffff;
const TWO_32 = 0x100000000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why an op number may be unknown: said with it, so a log names the fix. */
const NEWER = ' (written by a newer distdb? upgrade this node)';

// ---------------------------------------------------------------- encoding

/** Size of `bytes` on the wire; checks the length limit on the way. */
function bytesSize(b: Bytes, what: string): number {
  if (!(b instanceof Uint8Array)) throw new KvCodecError(`${what} must be a Uint8Array`);
  if (b.byteLength > MAX_U32) throw new KvCodecError(`${what} is longer than ${MAX_U32} bytes`);
  return 4 + b.byteLength;
}

function nullableSize(b: Bytes | null, what: string): number {
  return b === null ? 1 : 1 + bytesSize(b, what);
}

function commandSize(c: KvCommand): number {
  switch (c.op) {
    case 'put':
      return 2 + bytesSize(c.key, 'put key') + bytesSize(c.value, 'put value');
    case 'del': {
      let n = 5;
      for (const k of c.keys) n += bytesSize(k, 'del key');
      return n;
    }
    case 'mset': {
      let n = 5;
      for (const [k, v] of c.pairs) n += bytesSize(k, 'mset key') + bytesSize(v, 'mset value');
      return n;
    }
    case 'cas':
      return (
        1 +
        bytesSize(c.key, 'cas key') +
        nullableSize(c.expected, 'cas expected') +
        bytesSize(c.value, 'cas value')
      );
    case 'incr':
      checkInt64(c.by, 'incr by');
      return 9 + bytesSize(c.key, 'incr key');
    case 'append':
      if (!Number.isInteger(c.maxLength) || c.maxLength < 0 || c.maxLength > MAX_U32) {
        throw new KvCodecError(`append maxLength must be an integer in 0..${MAX_U32}`);
      }
      return 5 + bytesSize(c.key, 'append key') + bytesSize(c.value, 'append value');
    case 'getdel':
      return 1 + bytesSize(c.key, 'getdel key');
    case 'noop':
      return 1;
    default:
      throw new KvCodecError(`unknown command op ${JSON.stringify((c as { op: unknown }).op)}`);
  }
}

/** Writes into one preallocated buffer; sizes were computed (and checked) beforehand. */
class Writer {
  readonly buf: Buffer;
  private pos = 0;
  constructor(size: number) {
    // allocUnsafe is safe here: every byte is written before the buffer is returned.
    this.buf = Buffer.allocUnsafe(size);
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }
  u32(v: number): void {
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }
  i64(v: bigint): void {
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }
  bytes(b: Bytes): void {
    this.u32(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
  nullable(b: Bytes | null): void {
    if (b === null) {
      this.u8(0);
    } else {
      this.u8(1);
      this.bytes(b);
    }
  }
  utf8(s: string, byteLength: number): void {
    this.buf.write(s, this.pos, byteLength, 'utf8');
    this.pos += byteLength;
  }
  done(): Uint8Array {
    if (this.pos !== this.buf.byteLength) {
      throw new Error(`kv codec bug: wrote ${this.pos} of ${this.buf.byteLength} bytes`);
    }
    return this.buf;
  }
}

function checkInt64(v: unknown, what: string): void {
  if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
    throw new KvCodecError(`${what} must be a signed 64-bit bigint, got ${String(v)}`);
  }
}

function checkSeq(seq: unknown): number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new KvCodecError(`session seq must be a non-negative safe integer, got ${String(seq)}`);
  }
  return seq;
}

/** Encodes a proposal for a Raft log entry. Throws KvCodecError if it breaks a limit. */
export function encodeProposal(p: Proposal): Uint8Array {
  const c = p.command;
  let size = 2 + commandSize(c);
  let clientIdBytes = 0;
  if (p.session) {
    if (typeof p.session.clientId !== 'string') {
      throw new KvCodecError('session clientId must be a string');
    }
    checkSeq(p.session.seq);
    clientIdBytes = Buffer.byteLength(p.session.clientId, 'utf8');
    if (clientIdBytes > MAX_CLIENT_ID_BYTES) {
      throw new KvCodecError(
        `session clientId is ${clientIdBytes} bytes; the limit is ${MAX_CLIENT_ID_BYTES}`,
      );
    }
    size += 2 + clientIdBytes + 8;
  }
  const w = new Writer(size);
  w.u8(KV_CODEC_VERSION);
  w.u8(p.session ? FLAG_SESSION : 0);
  if (p.session) {
    w.u16(clientIdBytes);
    w.utf8(p.session.clientId, clientIdBytes);
    const seq = p.session.seq;
    w.u32(Math.floor(seq / TWO_32));
    w.u32(seq % TWO_32);
  }
  switch (c.op) {
    case 'put': {
      let flags = c.returnOld ? PUT_RETURN_OLD : 0;
      if (c.cond === 'nx') flags |= PUT_COND_NX;
      else if (c.cond === 'xx') flags |= PUT_COND_XX;
      else if (c.cond !== undefined) {
        throw new KvCodecError(`put cond must be 'nx', 'xx' or absent, got ${String(c.cond)}`);
      }
      w.u8(OP_PUT);
      w.u8(flags);
      w.bytes(c.key);
      w.bytes(c.value);
      break;
    }
    case 'del':
      w.u8(OP_DEL);
      w.u32(c.keys.length);
      for (const k of c.keys) w.bytes(k);
      break;
    case 'mset':
      w.u8(OP_MSET);
      w.u32(c.pairs.length);
      for (const [k, v] of c.pairs) {
        w.bytes(k);
        w.bytes(v);
      }
      break;
    case 'cas':
      w.u8(OP_CAS);
      w.bytes(c.key);
      w.nullable(c.expected);
      w.bytes(c.value);
      break;
    case 'incr':
      w.u8(OP_INCR);
      w.bytes(c.key);
      w.i64(c.by);
      break;
    case 'append':
      w.u8(OP_APPEND);
      w.bytes(c.key);
      w.bytes(c.value);
      w.u32(c.maxLength);
      break;
    case 'getdel':
      w.u8(OP_GETDEL);
      w.bytes(c.key);
      break;
    case 'noop':
      w.u8(OP_NOOP);
      break;
  }
  return w.done();
}

/** Bytes the encoding of result `r` takes. Throws KvCodecError if it breaks a limit. */
export function resultBytes(r: KvResult): number {
  switch (r.op) {
    case 'put':
      return 3 + nullableSize(r.old, 'put old value');
    case 'del':
      if (!Number.isInteger(r.deleted) || r.deleted < 0 || r.deleted > MAX_U32) {
        throw new KvCodecError(`del count must be an integer in 0..${MAX_U32}, got ${r.deleted}`);
      }
      return 6;
    case 'cas':
      return 3 + nullableSize(r.current, 'cas current value');
    case 'incr':
      checkInt64(r.value, 'incr value');
      return 10;
    case 'append':
      if (!Number.isInteger(r.length) || r.length < 0 || r.length > MAX_U32) {
        throw new KvCodecError(
          `append length must be an integer in 0..${MAX_U32}, got ${r.length}`,
        );
      }
      return 6;
    case 'getdel':
      return 2 + nullableSize(r.old, 'getdel old value');
    case 'refused':
      if (REFUSALS.indexOf(r.reason) < 1) {
        throw new KvCodecError(`unknown refusal ${JSON.stringify(r.reason)}`);
      }
      return 3;
    case 'mset':
    case 'noop':
    case 'session-expired':
      return 2;
    default:
      throw new KvCodecError(`unknown result op ${JSON.stringify((r as { op: unknown }).op)}`);
  }
}

/**
 * Writes the encoding of result `r` into `buf` at `at`, which must have
 * resultBytes(r) bytes of room (so a reply frame holds it with no buffer of
 * its own); returns the offset after it. Written field by field, without a
 * Writer: one object less per result.
 */
export function writeResult(buf: Buffer, at: number, r: KvResult): number {
  const end = at + resultBytes(r);
  buf[at] = KV_CODEC_VERSION;
  let pos = at + 2;
  switch (r.op) {
    case 'put':
      buf[at + 1] = OP_PUT;
      buf[pos++] = r.written ? 1 : 0;
      pos = writeNullable(buf, pos, r.old);
      break;
    case 'del':
      buf[at + 1] = OP_DEL;
      pos = buf.writeUInt32BE(r.deleted, pos);
      break;
    case 'cas':
      buf[at + 1] = OP_CAS;
      buf[pos++] = r.swapped ? 1 : 0;
      pos = writeNullable(buf, pos, r.current);
      break;
    case 'incr':
      buf[at + 1] = OP_INCR;
      pos = buf.writeBigInt64BE(r.value, pos);
      break;
    case 'append':
      buf[at + 1] = OP_APPEND;
      pos = buf.writeUInt32BE(r.length, pos);
      break;
    case 'getdel':
      buf[at + 1] = OP_GETDEL;
      pos = writeNullable(buf, pos, r.old);
      break;
    case 'refused':
      buf[at + 1] = OP_REFUSED;
      buf[pos++] = REFUSALS.indexOf(r.reason);
      break;
    case 'mset':
    case 'noop':
    case 'session-expired':
      buf[at + 1] = r.op === 'mset' ? OP_MSET : r.op === 'noop' ? OP_NOOP : OP_SESSION_EXPIRED;
      break;
  }
  if (pos !== end) throw new Error(`kv codec bug: wrote up to ${pos}, expected ${end}`);
  return end;
}

function writeNullable(buf: Buffer, pos: number, b: Bytes | null): number {
  if (b === null) {
    buf[pos] = 0;
    return pos + 1;
  }
  buf[pos] = 1;
  const at = buf.writeUInt32BE(b.byteLength, pos + 1);
  buf.set(b, at);
  return at + b.byteLength;
}

/** Encodes a state-machine result (storage engine → coordinator). */
export function encodeResult(r: KvResult): Uint8Array {
  const b = Buffer.allocUnsafe(resultBytes(r));
  writeResult(b, 0, r);
  return b;
}

// ---------------------------------------------------------------- decoding

/** Reads with bounds checks; every failure is a KvCodecError naming the offset. */
class Reader {
  private pos: number;
  // Bytes are read by index, not through a DataView: one object less per proposal decoded.
  constructor(
    private readonly b: Uint8Array,
    private readonly what: string,
    private readonly start = 0,
    private readonly end = b.byteLength,
  ) {
    this.pos = start;
  }
  fail(msg: string): never {
    throw new KvCodecError(this.message(msg));
  }
  message(msg: string): string {
    return `malformed ${this.what} at byte ${this.pos - this.start}: ${msg}`;
  }
  // A field's name comes in two parts (`part`: " length", " presence") so
  // that the name is only joined when it is reported, not on every read.
  private need(n: number, field: string, part = ''): void {
    if (this.end - this.pos < n) {
      this.fail(`truncated: ${field}${part} needs ${n} bytes, only ${this.end - this.pos} remain`);
    }
  }
  u8(field: string, part = ''): number {
    this.need(1, field, part);
    return this.b[this.pos++] as number;
  }
  u16(field: string): number {
    this.need(2, field);
    const b = this.b;
    const p = this.pos;
    const v = ((b[p] as number) << 8) | (b[p + 1] as number);
    this.pos += 2;
    return v;
  }
  u32(field: string, part = ''): number {
    this.need(4, field, part);
    const b = this.b;
    const p = this.pos;
    const v =
      (b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
    this.pos += 4;
    return v;
  }
  i64(field: string): bigint {
    this.need(8, field);
    const b = this.b;
    const p = this.pos;
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[p + i] as number);
    this.pos += 8;
    return BigInt.asIntN(64, v);
  }
  bool(field: string, part = ''): boolean {
    const v = this.u8(field, part);
    if (v > 1) this.fail(`${field}${part} must be 0 or 1, got ${v}`);
    return v === 1;
  }
  bytes(field: string): Uint8Array {
    const n = this.u32(field, ' length');
    this.need(n, field);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  nullable(field: string): Uint8Array | null {
    return this.bool(field, ' presence') ? this.bytes(field) : null;
  }
  utf8(n: number, field: string): string {
    this.need(n, field);
    try {
      const s = utf8.decode(this.b.subarray(this.pos, this.pos + n));
      this.pos += n;
      return s;
    } catch {
      return this.fail(`${field} is not valid UTF-8`);
    }
  }
  /** A count of items that each take at least `minItemBytes`; rejects counts the input cannot hold. */
  count(field: string, minItemBytes: number): number {
    const n = this.u32(field);
    if (n * minItemBytes > this.end - this.pos) {
      this.fail(`${field} ${n} cannot fit in the ${this.end - this.pos} bytes left`);
    }
    return n;
  }
  version(): void {
    const v = this.u8('version');
    if (v !== KV_CODEC_VERSION)
      this.fail(`unsupported version ${v} (expected ${KV_CODEC_VERSION})`);
  }
  finish(): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected trailing bytes`);
  }
}

function checkInput(b: unknown, what: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new KvCodecError(`${what} must be a Uint8Array`);
  return b;
}

/**
 * Decodes an encoded proposal: all of `b`, or its bytes [start, end) (a
 * proposal inside a larger frame, read without a view of its own). Throws
 * KvCodecError (only) on malformed or truncated input.
 */
export function decodeProposal(b: Uint8Array, start = 0, end?: number): Proposal {
  const input = checkInput(b, 'proposal');
  const stop = end ?? input.byteLength;
  if (!(0 <= start && start <= stop && stop <= input.byteLength)) {
    throw new RangeError(
      `decodeProposal: [${start}, ${stop}) is not within ${input.byteLength} bytes`,
    );
  }
  const r = new Reader(input, 'proposal', start, stop);
  r.version();
  const flags = r.u8('flags');
  if (flags & ~FLAG_SESSION) r.fail(`unknown flags 0x${flags.toString(16)}`);
  let session: Proposal['session'];
  if (flags & FLAG_SESSION) {
    const clientId = r.utf8(r.u16('clientId length'), 'clientId');
    const hi = r.u32('seq');
    const lo = r.u32('seq');
    if (hi >= 0x200000) r.fail('seq is larger than the largest safe integer');
    session = { clientId, seq: hi * TWO_32 + lo };
  }
  let command: KvCommand;
  const op = r.u8('op');
  switch (op) {
    case OP_PUT: {
      const pf = r.u8('put flags');
      if (pf & ~(PUT_COND_MASK | PUT_RETURN_OLD)) r.fail(`unknown put flags 0x${pf.toString(16)}`);
      const condBits = pf & PUT_COND_MASK;
      if (condBits === 3) r.fail('put cond bits 3 is not a condition');
      const key = r.bytes('put key');
      const value = r.bytes('put value');
      command = { op: 'put', key, value };
      if (condBits === PUT_COND_NX) command.cond = 'nx';
      if (condBits === PUT_COND_XX) command.cond = 'xx';
      if (pf & PUT_RETURN_OLD) command.returnOld = true;
      break;
    }
    case OP_DEL: {
      const n = r.count('del key count', 4);
      const keys: Bytes[] = new Array<Bytes>(n);
      for (let i = 0; i < n; i++) keys[i] = r.bytes('del key');
      command = { op: 'del', keys };
      break;
    }
    case OP_MSET: {
      const n = r.count('mset pair count', 8);
      const pairs: Array<[Bytes, Bytes]> = new Array<[Bytes, Bytes]>(n);
      for (let i = 0; i < n; i++) pairs[i] = [r.bytes('mset key'), r.bytes('mset value')];
      command = { op: 'mset', pairs };
      break;
    }
    case OP_CAS: {
      const key = r.bytes('cas key');
      const expected = r.nullable('cas expected');
      const value = r.bytes('cas value');
      command = { op: 'cas', key, expected, value };
      break;
    }
    case OP_INCR: {
      const key = r.bytes('incr key');
      command = { op: 'incr', key, by: r.i64('incr by') };
      break;
    }
    case OP_APPEND: {
      const key = r.bytes('append key');
      const value = r.bytes('append value');
      command = { op: 'append', key, value, maxLength: r.u32('append maxLength') };
      break;
    }
    case OP_GETDEL:
      command = { op: 'getdel', key: r.bytes('getdel key') };
      break;
    case OP_NOOP:
      command = { op: 'noop' };
      break;
    default:
      throw new UnknownOpError(op, r.message(`unknown command op ${op}${NEWER}`));
  }
  r.finish();
  return session ? { session, command } : { command };
}

/** Decodes an encoded result. Throws KvCodecError (only) on malformed or truncated input. */
export function decodeResult(b: Uint8Array): KvResult {
  const r = new Reader(checkInput(b, 'result'), 'result');
  r.version();
  const op = r.u8('op');
  let out: KvResult;
  switch (op) {
    case OP_PUT: {
      const written = r.bool('put written');
      out = { op: 'put', written, old: r.nullable('put old value') };
      break;
    }
    case OP_DEL:
      out = { op: 'del', deleted: r.u32('del count') };
      break;
    case OP_MSET:
      out = { op: 'mset' };
      break;
    case OP_CAS: {
      const swapped = r.bool('cas swapped');
      out = { op: 'cas', swapped, current: r.nullable('cas current value') };
      break;
    }
    case OP_NOOP:
      out = { op: 'noop' };
      break;
    case OP_SESSION_EXPIRED:
      out = { op: 'session-expired' };
      break;
    case OP_INCR:
      out = { op: 'incr', value: r.i64('incr value') };
      break;
    case OP_APPEND:
      out = { op: 'append', length: r.u32('append length') };
      break;
    case OP_GETDEL:
      out = { op: 'getdel', old: r.nullable('getdel old value') };
      break;
    case OP_REFUSED: {
      const code = r.u8('refusal');
      const reason = REFUSALS[code];
      if (reason === undefined) return r.fail(`unknown refusal ${code}${NEWER}`);
      out = { op: 'refused', reason };
      break;
    }
    default:
      return r.fail(`unknown result op ${op}${NEWER}`);
  }
  r.finish();
  return out;
}
