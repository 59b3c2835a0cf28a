// TYPE, TTL, PTTL, PERSIST: what Redis clients ask about one key. Every
// value is a string and no key expires (SET's expiry options are refused),
// so the answers follow from whether the key exists; each reads as GET does.

import { encodeInteger, encodeSimple } from '../../resp/reply-encoder.js';
import type { Handler } from '../command-context.js';
import { readValue } from './replicated-access.js';

const STRING = encodeSimple('string');
const NONE = encodeSimple('none');
const NO_EXPIRY_REMOVED = encodeInteger(0);

/** TYPE key → string, or none when the key does not exist. */
export const type: Handler = async (ctx, args) =>
  (await readValue(ctx, args[1] as Buffer)) !== null ? STRING : NONE;

/** TTL and PTTL: -1, the key has no expiry; -2, it does not exist (as Redis answers). */
export const ttl: Handler = async (ctx, args) =>
  encodeInteger((await readValue(ctx, args[1] as Buffer)) !== null ? -1 : -2);

/** PERSIST key → 0: there is never an expiry to remove. */
export const persist: Handler = () => NO_EXPIRY_REMOVED;
