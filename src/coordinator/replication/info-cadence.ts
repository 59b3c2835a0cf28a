// When a node asks a member for its client address and entry room (the I
// peer request, answered in peer-requests.ts). Every member each round, so a
// member restarted with another frame is seen within one; between rounds,
// at every tick, a member whose address or room is not known yet, so a new
// leader knows every room already. A node of a version before entry rooms
// never reports one: once it has answered so, it is asked each round only
// (during a rolling upgrade it would otherwise be asked every tick).

/** Ticks between two rounds of asking every member (2 s at 100 ms a tick). */
export const INFO_EVERY_TICKS = 20;

/** What a node knows of a member from its I answers. */
export interface MemberInfo {
  clientKnown: boolean;
  roomKnown: boolean;
  /** It answered without the room field: a version before entry rooms. */
  oldVersion: boolean;
}

/** Whether to ask the member at tick `tick` (counted from 1). */
export function askAtTick(tick: number, m: MemberInfo): boolean {
  if (tick % INFO_EVERY_TICKS === 1) return true;
  if (!m.clientKnown) return true;
  return !m.roomKnown && !m.oldVersion;
}

/**
 * Whether an I answer comes from a node that reports entry rooms: such a
 * node sends the field even while its engine is away (as null), and its room
 * is then asked again at the next tick.
 */
export function reportsRoom(answer: object): boolean {
  return 'room' in answer;
}
