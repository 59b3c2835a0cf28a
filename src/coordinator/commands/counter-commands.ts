// INCR, DECR, INCRBY, DECRBY: signed 64-bit counters kept as base-10 values,
// as in Redis. The storage engine reads the value and stores the sum when it
// applies the command (src/kv/apply.ts), so concurrent increments from any
// nodes never lose one, and a retry in the same client session (after a
// leader change) is applied once.

import { INT64_MIN, parseInt64 } from '../../kv/int64.js';
import type { KvResult } from '../../kv/types.js';
import { encodeInteger } from '../../resp/reply-encoder.js';
import type { CommandContext, Handler, Reply } from '../command-context.js';
import { CommandError, notAnInteger } from '../command-error.js';
import { expect } from './expect-result.js';
import { applyWrite } from './replicated-access.js';

const OVERFLOW = 'ERR increment or decrement would overflow';

function incrementBy(ctx: CommandContext, key: Buffer, by: bigint): Reply {
  return applyWrite(ctx, { op: 'incr', key, by }).then(sumReply);
}

function sumReply(r: KvResult): Buffer {
  if (r.op === 'refused' && r.reason === 'not-an-integer') throw notAnInteger();
  if (r.op === 'refused' && r.reason === 'overflow') throw new CommandError(OVERFLOW);
  return encodeInteger(expect(r, 'incr').value);
}

/** An increment argument: what Redis reads as a 64-bit integer, else its error. */
function amount(arg: Buffer): bigint {
  const v = parseInt64(arg);
  if (v === null) throw notAnInteger();
  return v;
}

export const incr: Handler = (ctx, args) => incrementBy(ctx, args[1] as Buffer, 1n);

export const decr: Handler = (ctx, args) => incrementBy(ctx, args[1] as Buffer, -1n);

export const incrby: Handler = (ctx, args) =>
  incrementBy(ctx, args[1] as Buffer, amount(args[2] as Buffer));

export const decrby: Handler = (ctx, args) => {
  const by = amount(args[2] as Buffer);
  // Its negation, 2^63, is one past the range; Redis says so in these words.
  if (by === INT64_MIN) throw new CommandError('ERR decrement would overflow');
  return incrementBy(ctx, args[1] as Buffer, -by);
};
