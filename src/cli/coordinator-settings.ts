// The coordinator's settings from its flags (coordinator-command.ts), their
// environment and defaults; shared by `distdb coordinator` and `distdb node`.

import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_COORDINATOR_HOST, DEFAULT_COORDINATOR_PORT } from '../coordinator/defaults.js';
import {
  DEFAULT_LIMITS,
  LIMIT_SETTINGS,
  limitsProblem,
  type CoordinatorLimits,
} from '../coordinator/limits.js';
import type { CoordinatorOptions } from '../coordinator/index.js';
import { authSettings, type AuthSettings } from './auth-settings.js';
import { ConfigError, parseByteSize, parsePort, parsePositiveInt, setting } from './config.js';
import { logSettings, type LogSettings } from './log-options.js';

type Flags = Record<string, string | undefined>;

export interface CoordinatorSettings {
  host: string;
  port: number;
  /** null: no HTTP port. */
  httpPort: number | null;
  dataDir: string;
  socket: string;
  /** The node named in every log line (--id / NODE_ID). */
  nodeId: string;
  log: LogSettings;
  limits: Partial<CoordinatorLimits>;
  /** Users and protected mode (auth-options.ts). */
  access: AuthSettings;
}

/** Resolves flags, environment (and .env, already loaded) and defaults. */
export function coordinatorSettings(flags: Flags): CoordinatorSettings {
  const host = setting(flags['host'], 'DISTDB_HOST') ?? DEFAULT_COORDINATOR_HOST;
  const portText = setting(flags['port'], 'NODE_TCP_PORT');
  const port =
    portText === undefined
      ? DEFAULT_COORDINATOR_PORT
      : parsePort(portText, 'the client port (--port / NODE_TCP_PORT)');
  const httpText = setting(flags['httpPort'], 'NODE_HTTP_PORT');
  const httpPort =
    httpText === undefined
      ? null
      : parsePort(httpText, 'the HTTP port (--http-port / NODE_HTTP_PORT)');
  const dataDir = resolve(setting(flags['dataDir'], 'NODE_DATA_DIR') ?? './data');
  const socket = resolve(
    setting(flags['socket'], 'STORAGE_SOCKET') ?? join(dataDir, 'storage.sock'),
  );
  const limits: Partial<CoordinatorLimits> = {};
  for (const s of LIMIT_SETTINGS) {
    const camel = s.flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const text = setting(flags[camel], s.env);
    if (text === undefined) continue;
    const what = `${s.flag} (${s.env})`;
    limits[s.key] = s.kind === 'bytes' ? parseByteSize(text, what) : parsePositiveInt(text, what);
  }
  // Checked here too, so `distdb node` refuses before it starts the storage engine.
  const limitsError = limitsProblem({ ...DEFAULT_LIMITS, ...limits });
  if (limitsError !== null) throw new ConfigError(limitsError);
  const nodeId = setting(flags['id'], 'NODE_ID') ?? 'n1';
  const log = logSettings(flags);
  return {
    host,
    port,
    httpPort,
    dataDir,
    socket,
    nodeId,
    log,
    limits,
    access: authSettings(flags),
  };
}

/** Options for startCoordinator from resolved settings; `logger` is the process's root logger. */
export function coordinatorOptions(s: CoordinatorSettings, logger: Logger): CoordinatorOptions {
  return {
    host: s.host,
    port: s.port,
    httpPort: s.httpPort,
    socket: s.socket,
    limits: s.limits,
    auth: s.access.auth,
    protectedMode: s.access.protectedMode,
    logger,
  };
}

/** What a ready line adds when the node has an HTTP port. */
export function httpSuffix(httpPort: number | null): string {
  return httpPort === null ? '' : ` http=${httpPort}`;
}
