// What simulated clients send to nodes and what nodes answer, the way a
// coordinator would serve GET / PUT / compare-and-set.

import type { Bytes, KvCommand, KvResult } from '../kv/types.js';
import type { NodeId } from '../raft/types.js';

export type ClientRequest =
  | { kind: 'write'; clientId: string; seq: number; command: KvCommand }
  | { kind: 'read'; key: Bytes };

export type ClientReply =
  /** The write was applied (now or, for a retry, before): its first result. */
  | { kind: 'result'; result: KvResult }
  /** A linearizable read's value (null: absent). */
  | { kind: 'value'; value: Bytes | null }
  /** This node cannot serve the request; try `leader` if known. */
  | { kind: 'redirect'; leader: NodeId | null }
  /** Refused before it was proposed, and would be anywhere (too large): certainly not applied. */
  | { kind: 'refused'; reason: string };

export type Reply = (r: ClientReply) => void;
