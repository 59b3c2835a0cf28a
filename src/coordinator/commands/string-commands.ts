// GET, SET/PUT, MGET, MSET: values by key. Writes go to the storage engine as
// proposals, so conditional SET (NX/XX/GET) is decided atomically there.

import { encodeBulk, encodeBulkArray, encodeNull, OK_REPLY } from '../../resp/reply-encoder.js';
import type { Handler } from '../command-context.js';
import { wrongArity } from '../command-error.js';
import { parseSetOptions } from '../set-options.js';
import { expect } from './expect-result.js';
import { getMany } from './get-many.js';
import { KEYSPACE_GROUP } from './group.js';
import { applyWrite, readFence } from './replicated-access.js';
import { checkValueSize } from './value-size.js';

/** Not async, like SET: the hottest read, with fewer promises. */
export const get: Handler = (ctx, args, version) =>
  readFence(ctx)
    .then(() => ctx.node.storage.api().get(KEYSPACE_GROUP, args[1] as Buffer, ctx.gone))
    .then((value) => encodeBulk(value, version));

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
