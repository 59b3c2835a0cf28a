// GET, SET/PUT, MGET, MSET, SETNX, GETSET, GETDEL, APPEND, STRLEN, GETRANGE: values by
// key. Writes go to the storage engine as proposals, so whatever depends on
// the current value (SET NX/XX/GET, GETDEL, APPEND) is decided atomically there.

import {
  encodeBulk,
  encodeBulkArray,
  encodeInteger,
  encodeNull,
  OK_REPLY,
} from '../../resp/reply-encoder.js';
import type { Handler } from '../command-context.js';
import { notAnInteger, wrongArity } from '../command-error.js';
import { parseSetOptions } from '../set-options.js';
import { parseInt64 } from '../../kv/int64.js';
import { appendLimit } from './append-limit.js';
import { byteRange } from './byte-range.js';
import { expect } from './expect-result.js';
import { getMany } from './get-many.js';
import { applyWrite, readFence, readValue } from './replicated-access.js';
import { checkValueSize } from './value-size.js';

/** Not async, like SET: the hottest read, with fewer promises. */
export const get: Handler = (ctx, args, version) =>
  readValue(ctx, args[1] as Buffer).then((value) => encodeBulk(value, version));

/** SET and PUT (the original system's name for it). Not async: the hottest handler, one promise fewer. */
export const set: Handler = (ctx, args, version) => {
  const key = args[1] as Buffer;
  const value = args[2] as Buffer;
  checkValueSize(ctx, value);
  const opts = parseSetOptions(args, 3);
  const command = { op: 'put', key, value, cond: opts.cond, returnOld: opts.returnOld } as const;
  return applyWrite(ctx, command).then((result) => {
    const r = expect(result, 'put');
    if (opts.returnOld) return encodeBulk(r.old, version);
    return r.written ? OK_REPLY : encodeNull(version);
  });
};

export const mget: Handler = async (ctx, args, version) => {
  await readFence(ctx);
  const values = await getMany(ctx.node.storage.api(), args.slice(1), ctx.node.limits, ctx.gone);
  return encodeBulkArray(values, version);
};

export const mset: Handler = async (ctx, args) => {
  if (args.length % 2 === 0) throw wrongArity('mset');
  const pairs: Array<[Buffer, Buffer]> = [];
  for (let i = 1; i < args.length; i += 2) {
    const value = args[i + 1] as Buffer;
    checkValueSize(ctx, value);
    pairs.push([args[i] as Buffer, value]);
  }
  expect(await applyWrite(ctx, { op: 'mset', pairs }), 'mset');
  return OK_REPLY;
};

/** SETNX key value → 1 when set, 0 when the key existed (SET … NX, answered as an integer). */
export const setnx: Handler = (ctx, args) => {
  const value = args[2] as Buffer;
  checkValueSize(ctx, value);
  return applyWrite(ctx, { op: 'put', key: args[1] as Buffer, value, cond: 'nx' }).then((r) =>
    encodeInteger(expect(r, 'put').written ? 1 : 0),
  );
};

/** GETSET key value → the old value (SET … GET). */
export const getset: Handler = (ctx, args, version) => {
  const value = args[2] as Buffer;
  checkValueSize(ctx, value);
  return applyWrite(ctx, { op: 'put', key: args[1] as Buffer, value, returnOld: true }).then((r) =>
    encodeBulk(expect(r, 'put').old, version),
  );
};

export const getdel: Handler = (ctx, args, version) =>
  applyWrite(ctx, { op: 'getdel', key: args[1] as Buffer }).then((r) =>
    encodeBulk(expect(r, 'getdel').old, version),
  );

/**
 * APPEND key value → the new length. The value limit goes with the command
 * (append-limit.ts): the engine refuses, whole, an append whose result would be longer.
 */
export const append: Handler = (ctx, args) => {
  const value = args[2] as Buffer;
  checkValueSize(ctx, value);
  const limit = appendLimit(ctx);
  const command = {
    op: 'append',
    key: args[1] as Buffer,
    value,
    maxLength: limit.maxLength,
  } as const;
  return applyWrite(ctx, command).then((r) => {
    if (r.op === 'refused' && r.reason === 'too-long') throw limit.refusal();
    return encodeInteger(expect(r, 'append').length);
  });
};

/** STRLEN key → the value's length in bytes (0: absent). Read as GET reads. */
export const strlen: Handler = (ctx, args) =>
  readValue(ctx, args[1] as Buffer).then((value) =>
    encodeInteger(value === null ? 0 : value.length),
  );

const EMPTY = Buffer.alloc(0);

/**
 * GETRANGE key start end (and SUBSTR, its old name) → the bytes from start
 * to end, both inclusive, negative from the end; "" for an absent key or an
 * empty range. Reads the whole value, as GET does.
 */
export const getrange: Handler = (ctx, args, version) => {
  const start = parseInt64(args[2] as Buffer);
  const end = parseInt64(args[3] as Buffer);
  if (start === null || end === null) throw notAnInteger();
  return readValue(ctx, args[1] as Buffer).then((value) => {
    if (value === null) return encodeBulk(EMPTY, version);
    const [from, to] = byteRange(value.length, start, end);
    return encodeBulk(value.subarray(from, to), version);
  });
};
