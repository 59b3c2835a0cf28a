// One system under test, started by the harness: where its clients connect,
// which processes are its servers (for their CPU, in all and per process), how to fill its key space
// before the reads, and how to stop it.

import type { KvConnection } from '../driver.js';
import type { KeySpace } from '../keyspace.js';
import type { MeteredProcess } from '../proc-cpu.js';

export type SystemName = 'distdb' | 'etcd' | 'redis';
export const SYSTEM_NAMES: readonly SystemName[] = ['distdb', 'etcd', 'redis'];

export interface RunningSystem {
  readonly name: SystemName;
  /** What the load generator's clients connect to, for the report. */
  readonly endpoint: string;
  /** The server processes, named for the CPU report; their children count too. */
  serverProcesses(): MeteredProcess[];
  /** A new connection for one closed-loop client. */
  connect(): Promise<KvConnection>;
  /** Writes every key once; calls `progress` with the number written so far. */
  preload(progress: (written: number) => void): Promise<void>;
  stop(): Promise<void>;
}

/** What every system is started with: a fresh temp dir of its own (data and logs) and the key space. */
export interface StartContext {
  dir: string;
  space: KeySpace;
  /** Where the harness tells the user what it does (stderr). */
  say(line: string): void;
}
