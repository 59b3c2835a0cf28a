// The replicated key/value state machine's vocabulary. Every node applies the
// same proposals in the same order and must reach the same state, so
// everything here is plain data: no clocks, no randomness, no I/O.

/** Keys and values are binary-safe bytes. */
export type Bytes = Uint8Array;

/**
 * One state-machine command. SET/PUT, DEL, MSET, compare-and-set and the
 * read-modify-write string commands (INCR, APPEND, GETDEL) map onto these:
 * whatever reads the current value reads it here, at apply time, so the
 * command is atomic without a read across the socket.
 */
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
  /**
   * INCRBY: adds `by` (a signed 64-bit integer) to the value read as one in
   * base 10 (src/kv/int64.ts; an absent key is 0), and stores the sum in base 10.
   */
  | { op: 'incr'; key: Bytes; by: bigint }
  /**
   * APPEND: `value` added to the end of the key's value (absent: empty), unless
   * the result would be longer than `maxLength` bytes: the proposing node's
   * value limit travels with the command, so every replica decides alike.
   */
  | { op: 'append'; key: Bytes; value: Bytes; maxLength: number }
  /** GETDEL: deletes the key and returns the value it had. */
  | { op: 'getdel'; key: Bytes }
  /** Applies nothing; a leader's first entry and a session keep-alive use it. */
  | { op: 'noop' };

export type KvResult =
  | { op: 'put'; written: boolean; old: Bytes | null }
  | { op: 'del'; deleted: number }
  | { op: 'mset' }
  | { op: 'cas'; swapped: boolean; current: Bytes | null }
  | { op: 'noop' }
  /** The sum INCRBY stored. */
  | { op: 'incr'; value: bigint }
  /** The value's length after APPEND. */
  | { op: 'append'; length: number }
  | { op: 'getdel'; old: Bytes | null }
  /**
   * The state machine refused the command and changed nothing: INCRBY of a
   * value that is not an integer, or a sum out of range; APPEND past its
   * maxLength. Recorded in the session like any result, so a retry is
   * refused alike.
   */
  | { op: 'refused'; reason: Refusal }
  /**
   * The proposal's session seq is older than the session's last recorded seq,
   * or its session was expired (see src/kv/apply.ts). This proposal was not
   * applied and retrying the same seq can never succeed: stop retrying. But an
   * EARLIER attempt with the same seq may have been applied before the session
   * was forgotten, so to the client the command's outcome is unknown (record
   * it as a timeout, not as a failure).
   */
  | { op: 'session-expired' };

/** Why the state machine refused a command (KvResult 'refused'). */
export type Refusal = 'not-an-integer' | 'overflow' | 'too-long';

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
