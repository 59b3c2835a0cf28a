// What coordinators ask each other over the peer transport's request
// channel: a tag byte, then the body. Failures travel as the error message of
// the transport's 'remote' rejection, starting with a code word, so the
// asking node knows whether the request may have taken effect.
//
//   W proposal (kv codec)          → result (kv codec)   forwarded write (INVALID at once when
//                                                          the leader cannot decode it: an op of a newer version)
//   J {"id","peer","client",       → {"book":{...}}      a new node asks to be added
//      "user"?,"password"?,                                (an admin's, where logins are required;
//      "room"?,"frame"?}                                   its engine's entry room, entry-rooms.ts)
//   A {"op","id","peer"?,"retry"?} → "OK"                CLUSTER ADD/REMOVE/TRANSFER-LEADER
//   I (empty)                      → {"id","client",     a member's client address and its
//                                       "room","frame"}    engine's entry room (null: engine away;
//                                                          absent: a version before entry rooms)
//   R {"room","frame"}             → "OK"                a node's engine's entry room, told to the members
//                                                          as soon as it (re)loads (its engine may be back
//                                                          with another frame): about the asker itself
//   F (empty)                      → {...}               a member's own figures (keys, ops/s, ...) for /status
//   S (empty)                      → "OK"                a follower installing the leader's snapshot is busy, not gone
//   M {"id"}                       → {"member","leader"} whether node id is a member, says the leader
//                                                          (a joining node asks about itself only:
//                                                          membership-check.ts; a member relays it)
// Fields added later are optional both ways: an older node ignores them,
// and a missing room counts as not known.

import type { NodeId } from '../../raft/types.js';
import type { MemberAddress } from './address-book.js';

export const RpcTag = {
  write: 0x57, // 'W'
  join: 0x4a, // 'J'
  admin: 0x41, // 'A'
  info: 0x49, // 'I'
  room: 0x52, // 'R'
  figures: 0x46, // 'F'
  installing: 0x53, // 'S'
  member: 0x4d, // 'M'
} as const;

/** The leader's answer to M, once every conf change it committed is in effect. */
export interface MemberAnswer {
  member: boolean;
  leader: NodeId;
}

export interface JoinRequest extends MemberAddress {
  id: NodeId;
  /** The joining node's entry room and frame (entry-rooms.ts), when its engine said. */
  room?: number;
  frame?: number;
  /** An admin user's credentials: a cluster that requires logins admits no one without them. */
  user?: string;
  password?: string;
}

export type AdminOp = 'add' | 'remove' | 'transfer-leader';

export interface AdminRequest {
  op: AdminOp;
  id: NodeId;
  peer?: string;
  /**
   * An earlier attempt may have taken effect (its answer was lost): a
   * REMOVE that finds the node already gone, or an ADD that finds it a voter
   * at the same peer address (promoted since), is then done, not an error.
   */
  retry?: boolean;
}

/** Code words that start a remote error message. */
export type RpcFailure =
  /** Not the leader: nothing was done (the leader's id follows, or "-"). */
  | 'NOTLEADER'
  /** Refused before proposing (overloaded, transferring): nothing was done. */
  | 'REFUSED'
  /** Certainly not applied. */
  | 'NOTAPPLIED'
  /** Proposed; the outcome is unknown. */
  | 'UNKNOWN'
  /** Invalid request (bad membership change, too large): retrying cannot help. */
  | 'INVALID';

export function rpcError(code: RpcFailure, text: string): Error {
  return new Error(`${code} ${text}`);
}

/** The code word and text of a remote error (the transport prefixes "<peer> answered with an error: "). */
export function parseRpcError(message: string): { code: RpcFailure | null; text: string } {
  const m = /(?:^|: )(NOTLEADER|REFUSED|NOTAPPLIED|UNKNOWN|INVALID) ?(.*)$/s.exec(message);
  if (!m) return { code: null, text: message };
  return { code: m[1] as RpcFailure, text: m[2] ?? '' };
}

export function encodeRpc(tag: number, body: Uint8Array | object | null): Uint8Array {
  const bytes =
    body === null
      ? Buffer.alloc(0)
      : body instanceof Uint8Array
        ? body
        : Buffer.from(JSON.stringify(body));
  const out = Buffer.allocUnsafe(1 + bytes.length);
  out[0] = tag;
  out.set(bytes, 1);
  return out;
}

export function rpcJson<T>(body: Buffer): T {
  return JSON.parse(body.toString('utf8')) as T;
}
