// Tells, from the committed log alone and before the state machine has
// applied an entry, whether the entry's session lets it be applied afresh:
// not a retry of a recorded seq (answered with the recorded result) and not
// refused as 'session-expired' (src/kv/apply.ts). Only then is the result of
// a command that does not read the state (known-result.ts) decided at commit.
//
// It mirrors the session table for the clients whose record it KNOWS exactly:
// learnt from an applied result (the state machine answered a proposal of
// that client, and no later entry of that client was committed since), then
// carried forward entry by entry in log order, since a proposal with a seq
// above the recorded one is always applied and recorded. A client it does not
// know is never forecast, so an unknown session, an expired one, or a session
// that never started (its first writes refused before being proposed) falls
// back to waiting for the apply.
//
// Expiry is the one change to a record that no entry of its own client makes.
// A record last used at index u survives every entry before
// u + min(maxIdleIndexes, maxSessions): idle expiry needs maxIdleIndexes
// entries, and the count bound removes it only as the least recently used of
// maxSessions records, which needs maxSessions - 1 records used after it, each
// at an index of its own. Past that horizon the client is forgotten here.
//
// Deterministic and bounded (at most `capacity` clients, least recently
// touched forgotten first): forgetting only makes it forecast less.

import { DEFAULT_SESSION_LIMITS, type SessionLimits } from './apply.js';
import type { KvResult, Proposal } from './types.js';

type Knowledge =
  /** The record holds exactly `seq`, last used at `lastIndex`. */
  | { kind: 'known'; seq: number; lastIndex: number }
  /** An entry of this client at `index` is committed and its effect not yet seen. */
  | { kind: 'pending'; index: number };

export class SessionForecast {
  private readonly clients = new Map<string, Knowledge>();
  private readonly horizon: number;

  constructor(
    limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly capacity: number = limits.maxSessions,
  ) {
    this.horizon = Math.min(limits.maxIdleIndexes, limits.maxSessions);
  }

  /**
   * The entry at `index` is committed; entries must come in log order, each
   * once. True when its proposal will be applied afresh (no session, or a
   * known session below its seq): its result is then its command's own.
   */
  committed(index: number, p: Proposal): boolean {
    const s = p.session;
    if (s === undefined) return true;
    const k = this.clients.get(s.clientId);
    if (k?.kind === 'known' && index - k.lastIndex < this.horizon) {
      if (s.seq > k.seq) {
        this.set(s.clientId, { kind: 'known', seq: s.seq, lastIndex: index });
        return true;
      }
      // A retry of the recorded seq refreshes the record; an older seq leaves it.
      if (s.seq === k.seq) this.set(s.clientId, { kind: 'known', seq: k.seq, lastIndex: index });
      return false;
    }
    this.set(s.clientId, { kind: 'pending', index });
    return false;
  }

  /** The state machine answered the entry at `index` (committed earlier) with `result`. */
  applied(index: number, p: Proposal, result: KvResult): void {
    const s = p.session;
    if (s === undefined) return;
    const k = this.clients.get(s.clientId);
    // A later entry of this client is committed: what it did is not known here.
    if (k?.kind !== 'pending' || k.index !== index) return;
    if (result.op === 'session-expired') {
      this.clients.delete(s.clientId);
      return;
    }
    // Applied afresh or a retry of the recorded seq: either way the record is now seq.
    this.set(s.clientId, { kind: 'known', seq: s.seq, lastIndex: index });
  }

  /** The state was replaced (a snapshot installed): nothing known holds. */
  clear(): void {
    this.clients.clear();
  }

  private set(clientId: string, k: Knowledge): void {
    this.clients.delete(clientId);
    this.clients.set(clientId, k);
    if (this.clients.size > this.capacity) {
      for (const oldest of this.clients.keys()) {
        this.clients.delete(oldest);
        break;
      }
    }
  }
}
