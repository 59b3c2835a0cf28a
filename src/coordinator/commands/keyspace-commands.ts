// DEL/DELETE, EXISTS, SCAN, DBSIZE: commands about which keys exist.

import { encodeInteger, encodeReply } from '../../resp/reply-encoder.js';
import type { RespVersion } from '../../resp/types.js';
import { hasPrefix } from '../auth/access.js';
import type { Handler } from '../command-context.js';
import { CommandError } from '../command-error.js';
import { globMatch, literalPrefix } from '../glob.js';
import { parseCursor, parseScanOptions } from '../scan-options.js';
import { expect } from './expect-result.js';
import { countPresent } from './get-many.js';
import { KEYSPACE_GROUP } from './group.js';
import { applyWrite, readFence } from './replicated-access.js';

/** Keys examined by one SCAN call at most, whatever COUNT asks (COUNT is a hint). */
const MAX_SCAN_PAGE = 1000;

export const del: Handler = async (ctx, args) => {
  const result = await applyWrite(ctx, { op: 'del', keys: args.slice(1) });
  return encodeInteger(expect(result, 'del').deleted);
};

/** Counts the given keys that exist; a key named twice counts twice, as in Redis. */
export const exists: Handler = async (ctx, args) => {
  await readFence(ctx);
  const { storage, limits } = ctx.node;
  return encodeInteger(await countPresent(storage.api(), args.slice(1), limits, ctx.gone));
};

export const dbsize: Handler = async (ctx) => {
  await readFence(ctx);
  const stats = await ctx.node.storage.api().stats(KEYSPACE_GROUP);
  return encodeInteger(stats.keys);
};

/**
 * Keys in byte order. The cursor stands for the next key to examine (see
 * scan-cursors.ts), so a key that exists for the whole scan is returned
 * exactly once, whatever is written meanwhile. A MATCH pattern with a literal
 * prefix (`user:*`) scans only that key range, and so does a user's key
 * prefix (auth/access.ts).
 */
export const scan: Handler = async (ctx, args, version) => {
  const cursor = parseCursor(args[1] as Buffer);
  const opts = parseScanOptions(args, 2);
  let prefix: Uint8Array = opts.match ? Buffer.from(literalPrefix(opts.match)) : Buffer.alloc(0);
  // A user confined to a key prefix sees only keys under it.
  const own = ctx.client.access?.prefix ?? null;
  if (own !== null && !hasPrefix(prefix, own)) {
    if (!hasPrefix(own, prefix)) return scanReply('0', [], version); // MATCH is outside it
    prefix = own;
  }
  let start: Uint8Array = prefix;
  if (cursor !== '0') {
    const key = ctx.node.scanCursors.resume(cursor);
    if (key === null) {
      throw new CommandError(
        `ERR invalid cursor ${cursor}: this node did not hand it out or has forgotten it; start the scan again with cursor 0`,
      );
    }
    start = Buffer.compare(key, prefix) < 0 ? prefix : key;
  }
  await readFence(ctx);
  const storage = ctx.node.storage.api();
  const page = await storage.scan(KEYSPACE_GROUP, start, Math.min(opts.count, MAX_SCAN_PAGE));
  const keys: Uint8Array[] = [];
  let next = page.next;
  for (const [key] of page.entries) {
    if (!hasPrefix(key, prefix)) {
      next = null; // past the prefix's range: nothing further can match
      break;
    }
    if (opts.type !== null && opts.type !== 'string') continue;
    if (opts.match && !globMatch(opts.match, key)) continue;
    keys.push(key);
  }
  if (next !== null && !hasPrefix(next, prefix)) next = null;
  const nextCursor = next === null ? '0' : ctx.node.scanCursors.save(next);
  return scanReply(nextCursor, keys, version);
};

function scanReply(cursor: string, keys: Uint8Array[], version: RespVersion): Buffer {
  return encodeReply(
    {
      type: 'array',
      value: [
        { type: 'bulk', value: Buffer.from(cursor) },
        { type: 'array', value: keys.map((k) => ({ type: 'bulk', value: k })) },
      ],
    },
    version,
  );
}
