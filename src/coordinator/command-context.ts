// What a command handler sees: its client's connection state and the
// node-wide state it may read (limits, storage, statistics, other clients).

import type { RespVersion } from '../resp/types.js';
import type { ClientAccess } from './auth/access.js';
import type { Authenticator } from './auth/authenticator.js';
import type { FailedAuthLog } from './auth/failed-auth-log.js';
import type { CommandSpec } from './command-table.js';
import type { CoordinatorLimits } from './limits.js';
import type { NodeMetrics } from './metrics/node-metrics.js';
import type { Replication } from './replication/replication.js';
import type { ScanCursors } from './scan-cursors.js';
import type { StorageLink } from './storage-link.js';

/** One client connection's state, as CLIENT and HELLO show and change it. */
export interface ClientState {
  readonly id: number;
  readonly addr: string;
  readonly createdAt: number;
  name: string | null;
  libName: string | null;
  libVersion: string | null;
  /** RESP version for replies; HELLO 3 switches to 3. */
  version: RespVersion;
  /** Name of the last command run, for CLIENT LIST. */
  lastCommand: string;
  /** Who the client authenticated as (AUTH, HELLO AUTH); null: not yet, so only no_auth commands run. */
  access: ClientAccess | null;
  /** READONLY: reads are served from this node's state, possibly stale (no ReadIndex). */
  staleReads?: boolean;
}

/** A client that has run nothing yet: RESP2, no name, `access` as the caller decides. */
export function newClientState(
  id: number,
  addr: string,
  access: ClientAccess | null,
  staleReads = false,
): ClientState {
  return {
    id,
    addr,
    createdAt: Date.now(),
    name: null,
    libName: null,
    libVersion: null,
    version: 2,
    lastCommand: 'NULL',
    access,
    staleReads,
  };
}

export interface NodeStats {
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  protocolErrors: number;
  outputBufferDisconnects: number;
  /** AUTH / HELLO AUTH answered WRONGPASS. */
  authFailures: number;
  /** Commands refused with NOPERM (the user may not run them or touch their keys). */
  accessDenied: number;
}

export interface NodeState {
  readonly limits: CoordinatorLimits;
  readonly storage: StorageLink;
  /** The node's Raft group when it runs in a cluster (distdb node); null: writes go straight to storage. */
  readonly replication: Replication | null;
  readonly stats: NodeStats;
  /** Users and passwords; `required` is false when none are configured. */
  readonly auth: Authenticator;
  /** Refused logins, logged rate-limited. */
  readonly failedAuthLog: FailedAuthLog;
  /** Prometheus metrics and the recent-load window (GET /metrics, the dashboard). */
  readonly metrics: NodeMetrics;
  readonly scanCursors: ScanCursors;
  readonly commands: ReadonlyMap<string, CommandSpec>;
  readonly startedAt: number;
  readonly host: string;
  port: number;
  clients(): Iterable<ClientState>;
}

export interface CommandContext {
  readonly client: ClientState;
  readonly node: NodeState;
  /** Aborted once the client's connection is cut off or closed: its reads not yet sent to storage are dropped. */
  readonly gone?: AbortSignal;
}

/** A handler's reply, already encoded for the client's RESP version. */
export type Reply = Buffer | Promise<Buffer>;

/** `args[0]` is the command name; arity was checked before the call. */
export type Handler = (ctx: CommandContext, args: Buffer[], version: RespVersion) => Reply;
