// The replicated key/value state machine's vocabulary. Every node applies the
// same proposals in the same order and must reach the same state, so
// everything here is plain data: no clocks, no randomness, no I/O.

/** Keys and values are binary-safe bytes. */
export type Bytes = Uint8Array;

/** One state-machine command. SET/PUT, DEL, MSET and compare-and-set all map onto these. */
export type KvCommand =
  | {
      op: 'put';
      key: Bytes;
      value: Bytes;
      /** 'nx': only if the key is absent; 'xx': only if it exists. */
      cond?: 'nx' | 'xx';
      /** Return the previous value (SET ... GET). */
      returnOld?: boolean;
    }
  | { op: 'del'; keys: Bytes[] }
  | { op: 'mset'; pairs: Array<[Bytes, Bytes]> }
  /** Compare-and-set: write `value` only if the current value equals `expected` (null: absent). */
  | { op: 'cas'; key: Bytes; expected: Bytes | null; value: Bytes }
  /** Applies nothing; a leader's first entry and a session keep-alive use it. */
  | { op: 'noop' };

export type KvResult =
  | { op: 'put'; written: boolean; old: Bytes | null }
  | { op: 'del'; deleted: number }
  | { op: 'mset' }
  | { op: 'cas'; swapped: boolean; current: Bytes | null }
  | { op: 'noop' }
  /**
   * The proposal's session seq is older than the session's last recorded seq,
   * or its session was expired (see src/kv/apply.ts). This proposal was not
   * applied and retrying the same seq can never succeed: stop retrying. But an
   * EARLIER attempt with the same seq may have been applied before the session
   * was forgotten, so to the client the command's outcome is unknown (record
   * it as a timeout, not as a failure).
   */
  | { op: 'session-expired' };

/**
 * A client session (Raft thesis §6.3): a retried proposal with the same
 * clientId and seq is applied once and answered with its first result.
 */
export interface SessionTag {
  clientId: string;
  seq: number;
}

/** What is proposed to Raft and applied at every replica: a command, optionally in a session. */
export interface Proposal {
  session?: SessionTag;
  command: KvCommand;
}

/** Where the state machine keeps data. LMDB (inside a write transaction) and a Map in the simulator both implement it. */
export interface KvStore {
  get(key: Bytes): Bytes | undefined;
  put(key: Bytes, value: Bytes): void;
  delete(key: Bytes): boolean;
}
