// How large a Raft entry each member's storage engine can hold, its "entry
// room": its frame (STORAGE_MAX_FRAME_SIZE) less what a request needs
// besides the entry (batch-parts.ts). One entry is never split, and a
// follower that cannot store an entry its leader sends cannot catch up from
// the log, so the leader accepts only writes every member can hold: it
// learns the others' rooms from their answers to the I request (peer-rpc.ts,
// asked by every node, so a new leader knows them already), from the R
// notice each sends as it (re)loads (its engine may be back with another
// frame), and a joining node's from its join request (and the conf-change
// context that adds it).
// A member not heard from since this node started does not count until it
// answers.

import type { NodeId } from '../../raft/types.js';
import type { StorageLink } from '../storage-link.js';
import { entryRoom } from './batch-parts.js';

export interface EntryRoom {
  /** Bytes of the largest entry (its data) the engine holds. */
  bytes: number;
  /** The engine's frame, to say what to raise it to. */
  frame: number;
}

/** The member whose room is the smallest, and that room. */
export interface EntryLimit {
  node: NodeId;
  room: EntryRoom;
}

export class EntryRooms {
  private readonly rooms = new Map<NodeId, EntryRoom>();

  note(id: NodeId, room: EntryRoom): void {
    this.rooms.set(id, room);
  }

  get(id: NodeId): EntryRoom | null {
    return this.rooms.get(id) ?? null;
  }

  /** Forgets whoever is not in `members`: a removed member, added again, counts once it says. */
  keepOnly(members: ReadonlySet<NodeId>): void {
    for (const id of this.rooms.keys()) if (!members.has(id)) this.rooms.delete(id);
  }

  /** The smallest room among `members`, `own` standing for `self`'s (null: its engine is away). */
  smallest(members: readonly NodeId[], self: NodeId, own: EntryRoom | null): EntryLimit | null {
    let limit: EntryLimit | null = own === null ? null : { node: self, room: own };
    for (const id of members) {
      const room = id === self ? null : this.rooms.get(id);
      if (room && (limit === null || room.bytes < limit.room.bytes)) limit = { node: id, room };
    }
    return limit;
  }
}

/** The frame an engine whose frame `room.frame` leaves `room.bytes` needs for an entry of `dataBytes`. */
export function frameNeeded(dataBytes: number, room: EntryRoom): number {
  return dataBytes + room.frame - room.bytes;
}

/** A room sent as JSON fields `room` and `frame`, or null when absent or malformed. */
export function roomFromJson(v: { room?: unknown; frame?: unknown } | null): EntryRoom | null {
  const bytes = v?.room;
  const frame = v?.frame;
  if (typeof bytes !== 'number' || typeof frame !== 'number') return null;
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(frame) || bytes < 0 || frame < bytes) {
    return null;
  }
  return { bytes, frame };
}

/** The room a conf change's context (JSON, address-book.ts) carries, or null. */
export function roomFromContext(bytes: Uint8Array): EntryRoom | null {
  if (bytes.length === 0) return null;
  try {
    return roomFromJson(JSON.parse(Buffer.from(bytes).toString('utf8')) as { room?: unknown });
  } catch {
    return null;
  }
}

/** The JSON fields of `room`, for a join request and a conf-change context (absent when null). */
export function roomToJson(room: EntryRoom | null): { room?: number; frame?: number } {
  return room === null ? {} : { room: room.bytes, frame: room.frame };
}

/**
 * The I answer's room fields: null while the engine is away, rather than
 * absent, so the asker can tell this node from one of a version before
 * entry rooms (info-cadence.ts).
 */
export function roomAnswerJson(room: EntryRoom | null): {
  room: number | null;
  frame: number | null;
} {
  return room === null ? { room: null, frame: null } : { room: room.bytes, frame: room.frame };
}

/** The client's answer to a write whose entry `limit.node` could not store. */
export function tooLargeMessage(dataBytes: number, limit: EntryLimit): string {
  const { node, room } = limit;
  return (
    `ERR the write needs a Raft entry of ${dataBytes} bytes, but node ${node}'s storage engine ` +
    `holds at most ${room.bytes} (STORAGE_MAX_FRAME_SIZE ${room.frame} there); raise ` +
    `STORAGE_MAX_FRAME_SIZE on ${node} to at least ${frameNeeded(dataBytes, room)}, or write less at once`
  );
}

/** Why node `id` may not join while the leader's log holds an entry of `largest` bytes; null: it may. */
export function joinRefusal(id: NodeId, room: EntryRoom, largest: number): string | null {
  if (largest <= room.bytes) return null;
  return (
    `node ${id}'s storage engine holds Raft entries of at most ${room.bytes} bytes ` +
    `(STORAGE_MAX_FRAME_SIZE ${room.frame}), but the leader's log holds one of ${largest} bytes: ` +
    `start ${id} with STORAGE_MAX_FRAME_SIZE of at least ${frameNeeded(largest, room)}`
  );
}

/** The entry room of the engine behind `link`; null while the engine is away. */
export function linkRoom(link: StorageLink): EntryRoom | null {
  if (!link.connected) return null;
  const api = link.api();
  return { bytes: entryRoom(api.batchRoom), frame: api.maxFrameBytes };
}
