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
// again while its room is missing. A member removed is forgotten, so one
// added again (upgraded, or back after a long absence) is asked as any new one.

import type { ConfState, NodeId } from '../../raft/types.js';

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

  /** Forgets the nodes not in `members`. */
  keepOnly(members: ReadonlySet<NodeId>): void {
    for (const id of this.quiet.keys()) if (!members.has(id)) this.quiet.delete(id);
  }
}

/** What a node heard in its members' I answers, or did not: the MemberInfo it adds to what it knows. */
export class MemberAnswers {
  /** Members whose I answer had no room field. */
  private readonly oldVersion = new Set<NodeId>();
  private readonly silences = new Silences();

  /** Member `id` as askAtTick takes it, given whether its address and room are known. */
  info(id: NodeId, known: Pick<MemberInfo, 'clientKnown' | 'roomKnown'>): MemberInfo {
    return {
      ...known,
      oldVersion: this.oldVersion.has(id),
      quietUntil: this.silences.quietUntil(id),
    };
  }

  answered(id: NodeId, answer: object): void {
    this.silences.answered(id);
    if (reportsRoom(answer)) this.oldVersion.delete(id);
    else this.oldVersion.add(id);
  }

  failed(id: NodeId, tick: number): void {
    this.silences.failed(id, tick);
  }

  /** The membership, at every change (and load): whoever is not in it is forgotten. */
  noteConf(conf: ConfState): void {
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const id of this.oldVersion) if (!members.has(id)) this.oldVersion.delete(id);
    this.silences.keepOnly(members);
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
