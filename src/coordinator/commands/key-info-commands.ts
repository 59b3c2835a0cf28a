// TYPE, TTL, PTTL, PERSIST: what Redis clients ask about one key. Every
// value is a string and no key expires (SET's expiry options are refused),
// so the answers follow from whether the key exists; each reads as GET does.

import { encodeInteger, encodeSimple } from '../../resp/reply-encoder.js';
import type { CommandContext, Handler } from '../command-context.js';
import { KEYSPACE_GROUP } from './group.js';
import { readFence } from './replicated-access.js';

const STRING = encodeSimple('string');
const NONE = encodeSimple('none');
const NO_EXPIRY_REMOVED = encodeInteger(0);

async function keyExists(ctx: CommandContext, key: Buffer): Promise<boolean> {
  await readFence(ctx);
  return (await ctx.node.storage.api().get(KEYSPACE_GROUP, key, ctx.gone)) !== null;
}

/** TYPE key → string, or none when the key does not exist. */
export const type: Handler = async (ctx, args) =>
  (await keyExists(ctx, args[1] as Buffer)) ? STRING : NONE;

/** TTL and PTTL: -1, the key has no expiry; -2, it does not exist (as Redis answers). */
export const ttl: Handler = async (ctx, args) =>
  encodeInteger((await keyExists(ctx, args[1] as Buffer)) ? -1 : -2);

/** PERSIST key → 0: there is never an expiry to remove. */
export const persist: Handler = () => NO_EXPIRY_REMOVED;
