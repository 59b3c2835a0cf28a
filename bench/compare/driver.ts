// What the load generator needs of a system: connections that each carry one
// request at a time (the closed loop), addressed by key index so a driver can
// prepare its requests up front.

export interface KvConnection {
  /** Writes the value to key `k`; rejects with the server's error. */
  put(k: number): Promise<void>;
  /** Reads key `k` (linearizably where the system offers the choice). */
  get(k: number): Promise<void>;
  close(): Promise<void>;
}
