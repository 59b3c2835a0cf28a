// How long APPEND may make a value: --max-value-size, or, where less, the
// entry room of the smallest storage engine of the cluster (entry-rooms.ts).
// A SET's value is bounded by that room already, since its Raft entry must
// fit; APPEND grows a value by small entries, and a value larger than an
// engine's frame cannot be served: the engine's reply to a GET of it passed
// what the node reads from its engine (REPLY_FRAME_FACTOR frames), which cut
// the node's storage connection, and every read of the key cut it again.
// The limit travels in the command, so every replica refuses alike.

import type { NodeId } from '../../raft/types.js';
import type { CommandContext } from '../command-context.js';
import { CommandError } from '../command-error.js';
import { settingName } from '../limits.js';
import { frameNeeded, linkRoom, type EntryRoom } from '../replication/entry-rooms.js';

export interface AppendLimit {
  /** The longest value the APPEND may leave. */
  maxLength: number;
  /** The client's answer when the APPEND would pass it. */
  refusal(): CommandError;
}

export function appendLimit(ctx: CommandContext): AppendLimit {
  const maxValue = ctx.node.limits.maxValueSize;
  const smallest = smallestRoom(ctx);
  if (smallest === null || smallest.room.bytes >= maxValue) {
    return {
      maxLength: maxValue,
      refusal: () =>
        new CommandError(
          `ERR APPEND would make the value longer than the ${maxValue}-byte limit; nothing was appended. Keep the value smaller or raise ${settingName('maxValueSize')}`,
        ),
    };
  }
  const { node, room } = smallest;
  const engine = node === null ? "this node's storage engine" : `node ${node}'s storage engine`;
  const where = node === null ? '' : ` on ${node}`;
  return {
    maxLength: room.bytes,
    refusal: () =>
      new CommandError(
        `ERR APPEND would make the value longer than the ${room.bytes} bytes ${engine} can serve (STORAGE_MAX_FRAME_SIZE ${room.frame} there); nothing was appended. Keep the value smaller or raise STORAGE_MAX_FRAME_SIZE${where} to at least ${frameNeeded(maxValue, room)} for values up to ${settingName('maxValueSize')}, ${maxValue} bytes`,
      ),
  };
}

/** The smallest engine room this node knows of (node null: its own, standalone); null: none known. */
function smallestRoom(ctx: CommandContext): { node: NodeId | null; room: EntryRoom } | null {
  const { replication, storage } = ctx.node;
  if (replication !== null) return replication.entryLimit();
  const room = linkRoom(storage);
  return room === null ? null : { node: null, room };
}
