// When a node asks a member for its client address and entry room (the I
// peer request, answered in peer-requests.ts). Every member each round, so a
// member restarted with another frame is seen within one; between rounds,
// at every tick, a member whose address or room is not known yet, so a new
// leader knows every room already. A node of a version before entry rooms
// never reports one: once it has answered so, it is asked each round only
// (during a rolling upgrade it would otherwise be asked every tick). A
// member that does not answer (added but not started yet, or down) is asked
// again after 1, 2, 4, ... ticks, at most a round: asked at every tick, it
// cost a failed request each; once it answers, it is asked at every tick
// again while its room is missing.

import type { NodeId } from '../../raft/types.js';

/** Ticks between two rounds of asking every member (2 s at 100 ms a tick). */
export const INFO_EVERY_TICKS = 20;

/** What a node knows of a member from its I answers. */
export interface MemberInfo {
  clientKnown: boolean;
  roomKnown: boolean;
  /** It answered without the room field: a version before entry rooms. */
  oldVersion: boolean;
  /** It did not answer: not asked between rounds before this tick (Silences). */
  quietUntil: number;
}

/** Whether to ask the member at tick `tick` (counted from 1). */
export function askAtTick(tick: number, m: MemberInfo): boolean {
  if (tick % INFO_EVERY_TICKS === 1) return true;
  if (tick < m.quietUntil) return false;
  if (!m.clientKnown) return true;
  return !m.roomKnown && !m.oldVersion;
}

/** The members whose last I request got no answer, and how long to leave them be. */
export class Silences {
  private readonly quiet = new Map<NodeId, { failures: number; until: number }>();

  /** Member `id`'s request failed at tick `tick`: the delay doubles, up to a round. */
  failed(id: NodeId, tick: number): void {
    const failures = (this.quiet.get(id)?.failures ?? 0) + 1;
    const delay = Math.min(2 ** (failures - 1), INFO_EVERY_TICKS);
    this.quiet.set(id, { failures, until: tick + delay });
  }

  answered(id: NodeId): void {
    this.quiet.delete(id);
  }

  /** The tick before which `id` is not asked between rounds (0: it answered). */
  quietUntil(id: NodeId): number {
    return this.quiet.get(id)?.until ?? 0;
  }
}

/**
 * Whether an I answer comes from a node that reports entry rooms: such a
 * node sends the field even while its engine is away (as null), and its room
 * is then asked again at the next tick.
 */
export function reportsRoom(answer: object): boolean {
  return 'room' in answer;
}
