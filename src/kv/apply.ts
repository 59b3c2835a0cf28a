// The replicated state machine's transition function. Every replica calls it
// for the same proposals at the same Raft indexes, so it depends only on its
// arguments: no clocks, no randomness, no I/O beyond the given store/table.
//
// Sessions (Raft thesis §6.3). A proposal with session {clientId, seq}:
//   - seq equal to the recorded seq: a retry. Not applied again; the recorded
//     result is returned and the session counts as used (lastIndex = index).
//   - seq lower than the recorded seq: a stale retry. Not applied; returns
//     { op: 'session-expired' } so the coordinator tells the client to stop.
//   - seq higher than the recorded seq: applied, and {seq, result} recorded.
//   - unknown clientId: a session starts at seq FIRST_SESSION_SEQ (1; seq 0
//     also starts one). An unknown client with a higher seq had its session
//     expired (or never had one): nothing is applied and 'session-expired' is
//     returned, because the proposal may be a retry of one applied before
//     expiry — applying it could apply it twice. The client starts a new
//     session (new clientId, seq 1). The one gap: a retry of seq 1 arriving
//     after its session expired is applied again; the idle limit is large so
//     that this needs a retry delayed by that many indexes.
// A client has at most one proposal in flight per session (the thesis model):
// seq n+1 is proposed only after seq n was answered.
//
// Expiry (bounds memory; decided from `index` alone, so all replicas agree).
// Before each proposal at index i, sessions are removed, least recently used
// first, while either
//   - the least recently used one was last used at or before i - maxIdleIndexes, or
//   - there are more than maxSessions - 1 sessions and this proposal starts a new one
//     (so the table never holds more than maxSessions).
// Both limits must be the same on every replica (they are part of the state
// machine's definition); use the defaults unless all nodes change together.

import { formatInt64, INT64_MAX, INT64_MIN, parseInt64 } from './int64.js';
import type { SessionTable } from './sessions.js';
import type { Bytes, KvCommand, KvResult, KvStore, Proposal } from './types.js';

/** The seq a new session starts with. */
export const FIRST_SESSION_SEQ = 1;

export interface SessionLimits {
  /** A session unused for this many indexes is expired. */
  maxIdleIndexes: number;
  /** Most sessions kept; beyond it the least recently used is expired. */
  maxSessions: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = {
  maxIdleIndexes: 1_000_000,
  maxSessions: 100_000,
};

function bytesEqual(a: Bytes, b: Bytes): boolean {
  return (
    a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  );
}

/** The result of every plain put: one frozen object, not one per put. */
const PUT_WRITTEN: KvResult = Object.freeze({ op: 'put', written: true, old: null });

const NOT_AN_INTEGER: KvResult = Object.freeze({ op: 'refused', reason: 'not-an-integer' });
const OVERFLOW: KvResult = Object.freeze({ op: 'refused', reason: 'overflow' });
const TOO_LONG: KvResult = Object.freeze({ op: 'refused', reason: 'too-long' });

/** INCRBY: the sum, or a refusal when the value is not an integer or the sum is out of range. */
function increment(store: KvStore, c: Extract<KvCommand, { op: 'incr' }>): KvResult {
  const cur = store.get(c.key);
  const old = cur === undefined ? 0n : parseInt64(cur);
  if (old === null) return NOT_AN_INTEGER;
  const value = old + c.by;
  if (value < INT64_MIN || value > INT64_MAX) return OVERFLOW;
  store.put(c.key, formatInt64(value));
  return { op: 'incr', value };
}

/** APPEND: the new length, or a refusal when it would pass maxLength. */
function append(store: KvStore, c: Extract<KvCommand, { op: 'append' }>): KvResult {
  const cur = store.get(c.key);
  const length = (cur?.byteLength ?? 0) + c.value.byteLength;
  if (length > c.maxLength) return TOO_LONG;
  if (cur === undefined) {
    store.put(c.key, c.value);
  } else {
    const joined = new Uint8Array(length);
    joined.set(cur);
    joined.set(c.value, cur.byteLength);
    store.put(c.key, joined);
  }
  return { op: 'append', length };
}

/** Applies a command to the store, ignoring sessions. */
function applyCommand(store: KvStore, p: Proposal): KvResult {
  const c = p.command;
  switch (c.op) {
    case 'put': {
      if (c.cond === undefined && !c.returnOld) {
        // A plain put does not depend on what is there: no read.
        store.put(c.key, c.value);
        return PUT_WRITTEN;
      }
      const cur = store.get(c.key);
      const written =
        c.cond === 'nx' ? cur === undefined : c.cond === 'xx' ? cur !== undefined : true;
      const old = c.returnOld && cur !== undefined ? cur : null;
      if (written) store.put(c.key, c.value);
      return { op: 'put', written, old };
    }
    case 'del': {
      let deleted = 0;
      for (const k of c.keys) if (store.delete(k)) deleted++;
      return { op: 'del', deleted };
    }
    case 'mset':
      for (const [k, v] of c.pairs) store.put(k, v);
      return { op: 'mset' };
    case 'cas': {
      const cur = store.get(c.key) ?? null;
      const matches =
        c.expected === null ? cur === null : cur !== null && bytesEqual(cur, c.expected);
      if (!matches) return { op: 'cas', swapped: false, current: cur };
      store.put(c.key, c.value);
      return { op: 'cas', swapped: true, current: c.value };
    }
    case 'incr':
      return increment(store, c);
    case 'append':
      return append(store, c);
    case 'getdel': {
      const old = store.get(c.key) ?? null;
      if (old !== null) store.delete(c.key);
      return { op: 'getdel', old };
    }
    case 'noop':
      return { op: 'noop' };
  }
}

function expireSessions(
  sessions: SessionTable,
  index: number,
  limits: SessionLimits,
  makingRoom: boolean,
): void {
  for (;;) {
    const lru = sessions.leastRecentlyUsed();
    if (lru === undefined) return;
    const idle = sessions.lastUsed(lru) <= index - limits.maxIdleIndexes;
    const full = makingRoom && sessions.size() >= limits.maxSessions;
    if (!idle && !full) return;
    sessions.delete(lru);
  }
}

/**
 * Applies proposal `p`, committed at Raft index `index`, to `store` and
 * `sessions`, and returns its result.
 *
 * Results:
 * - put: `written` false when cond (nx: only if absent, xx: only if present)
 *   failed; `old` is the previous value when returnOld was asked (else null).
 * - del: how many of the keys existed.
 * - cas: swapped when the current value equals `expected` (null: absent);
 *   `current` is the value after the operation.
 * - incr: the sum stored; refused (nothing changed) when the value is not a
 *   base-10 signed 64-bit integer, or the sum is outside that range.
 * - append: the length after; refused (nothing changed) past maxLength.
 * - getdel: the value the key had (null: absent).
 * - session-expired: see the module comment.
 *
 * Results may share memory with `p`, with values read from `store` and with
 * each other (a plain put's is one frozen object): do not change them.
 *
 * `index` must be this proposal's own Raft index (not, say, the last index
 * of a batch: replicas batch differently, and expiry depends on the index).
 * Without Raft, pass 0 for every proposal: idle expiry then never fires and
 * only the count bound holds. Throws (a plain Error: a caller bug, not bad
 * input) if index is not a non-negative safe integer.
 */
export function applyProposal(
  store: KvStore,
  sessions: SessionTable,
  p: Proposal,
  index: number,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): KvResult {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new Error(`applyProposal: index must be a non-negative safe integer, got ${index}`);
  }
  const s = p.session;
  const rec = s ? sessions.get(s.clientId) : undefined;
  const startsSession = s !== undefined && rec === undefined && s.seq <= FIRST_SESSION_SEQ;
  expireSessions(sessions, index, limits, startsSession);
  if (!s) return applyCommand(store, p);

  // Re-read: expiry may just have removed this client's own idle session.
  const live = rec && sessions.get(s.clientId);
  if (live) {
    if (s.seq < live.seq) return { op: 'session-expired' };
    if (s.seq === live.seq) {
      sessions.put(s.clientId, { ...live, lastIndex: index });
      return live.result;
    }
  } else if (s.seq > FIRST_SESSION_SEQ) {
    return { op: 'session-expired' };
  }
  const result = applyCommand(store, p);
  sessions.put(s.clientId, { seq: s.seq, result, lastIndex: index });
  return result;
}
