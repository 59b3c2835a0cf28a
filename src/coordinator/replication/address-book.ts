// Where each member of the group listens: its peer address (for Raft traffic
// and forwarding) and its client address (shown by CLUSTER STATUS). Learned
// from --peers at bootstrap, from the join reply, from the context of every
// conf-change entry, and carried inside each snapshot, so a node restarted or
// restored from a snapshot still knows how to reach everyone.

import type { NodeId } from '../../raft/types.js';

export interface MemberAddress {
  /** host:port of its peer listener. */
  peer: string;
  /** host:port of its client listener, when known. */
  client: string | null;
}

export type AddressBook = Map<NodeId, MemberAddress>;

/**
 * A conf change's context: the node's addresses, as JSON, with any other
 * fields an addition carries (its entry room, entry-rooms.ts).
 */
export function encodeMemberContext(a: MemberAddress): Uint8Array {
  return Buffer.from(JSON.stringify(a));
}

/** Null when the context is empty or not ours (a removal carries none). */
export function decodeMemberContext(bytes: Uint8Array): MemberAddress | null {
  if (bytes.length === 0) return null;
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<MemberAddress>;
    if (typeof v.peer !== 'string') return null;
    return { peer: v.peer, client: typeof v.client === 'string' ? v.client : null };
  } catch {
    return null;
  }
}

export function bookToJson(book: AddressBook): Record<NodeId, MemberAddress> {
  return Object.fromEntries(book);
}

export function bookFromJson(v: unknown): AddressBook {
  const book: AddressBook = new Map();
  if (v === null || typeof v !== 'object') return book;
  for (const [id, a] of Object.entries(v as Record<string, Partial<MemberAddress>>)) {
    if (typeof a?.peer === 'string') {
      book.set(id, { peer: a.peer, client: typeof a.client === 'string' ? a.client : null });
    }
  }
  return book;
}

/**
 * Adds what `from` knows to `into`; a known client address is never replaced
 * by an unknown one.
 */
export function mergeBook(into: AddressBook, from: AddressBook): void {
  for (const [id, a] of from) {
    const had = into.get(id);
    into.set(id, { peer: a.peer, client: a.client ?? had?.client ?? null });
  }
}

/** Forgets the addresses of whoever is not in `members` (removed members). */
export function keepOnly(book: AddressBook, members: ReadonlySet<NodeId>): void {
  for (const id of book.keys()) if (!members.has(id)) book.delete(id);
}
