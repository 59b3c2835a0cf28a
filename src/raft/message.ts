import type { Message, MessageType, NodeId } from './types.js';

/** The fields a sender sets; the rest get neutral defaults. */
export type MessageFields = Partial<Message> & { type: MessageType; to: NodeId };

const EMPTY: readonly never[] = [];

export function makeMessage(
  fields: MessageFields,
  from: NodeId,
  group: number,
  term: number,
): Message {
  return {
    group,
    from,
    term,
    logTerm: 0,
    index: 0,
    entries: EMPTY as never[],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: null,
    ...fields,
  };
}

/** Campaign reason carried by a vote request after `timeout-now`: it may break a leader's lease. */
export const TRANSFER_CONTEXT = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]); // "transfer"

export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
