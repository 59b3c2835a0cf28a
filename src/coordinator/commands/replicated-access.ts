// The two doors every key command goes through. In a cluster (distdb node) a
// write is replicated through Raft and a read first waits for a ReadIndex, so
// it sees every write acknowledged before it (unless the connection chose
// READONLY); a standalone coordinator writes straight to its storage engine.

import type { Bytes, KvCommand, KvResult } from '../../kv/types.js';
import type { CommandContext } from '../command-context.js';
import { READ_NOW } from '../replication/replication.js';
import { KEYSPACE_GROUP } from './group.js';

export function applyWrite(ctx: CommandContext, command: KvCommand): Promise<KvResult> {
  const r = ctx.node.replication;
  if (r) return r.write(ctx.client, command);
  return ctx.node.storage
    .api()
    .apply(KEYSPACE_GROUP, [{ command }], 0)
    .then(([result]) => result as KvResult);
}

/** Resolves when local storage may serve a read for this client. */
export function readFence(ctx: CommandContext): Promise<void> {
  const r = ctx.node.replication;
  return r ? r.readBarrier(ctx.client) : READ_NOW;
}

/** One key's value (null: absent), read behind the fence: what GET and the other one-key reads see. */
export function readValue(ctx: CommandContext, key: Buffer): Promise<Bytes | null> {
  return readFence(ctx).then(() => ctx.node.storage.api().get(KEYSPACE_GROUP, key, ctx.gone));
}
