// `distdb coordinator`: the node's client-facing process. Listens on TCP for
// RESP clients and drives the node's storage engine over its Unix socket.
// `addCoordinatorOptions` / `coordinatorSettings` are shared with `distdb node`,
// which runs the same coordinator in its own process.

import { Command } from 'commander';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import {
  CoordinatorConfigError,
  DEFAULT_COORDINATOR_HOST,
  DEFAULT_COORDINATOR_PORT,
  DEFAULT_LIMITS,
  LIMIT_SETTINGS,
  limitsProblem,
  startCoordinator,
  type CoordinatorHandle,
  type CoordinatorLimits,
  type CoordinatorOptions,
} from '../coordinator/index.js';
import { addAuthOptions, authSettings, type AuthSettings } from './auth-options.js';
import { ConfigError, parseByteSize, parsePort, parsePositiveInt, setting } from './config.js';
import { addNodeTlsOptions, nodeTlsSettings } from './tls-options.js';
import { reloadOnSighup } from './reload.js';
import {
  createLogger,
  LOG_FORMAT_HELP,
  LOG_LEVEL_HELP,
  logSettings,
  type LogSettings,
} from './logger.js';

type Flags = Record<string, string | undefined>;

export function addCoordinatorOptions(cmd: Command): Command {
  cmd
    .option(
      '--host <address>',
      `address to listen on (env DISTDB_HOST, and NODE_HOST for distdb node; default ${DEFAULT_COORDINATOR_HOST})`,
    )
    .option(
      '--port <port>',
      `TCP port for clients (env NODE_TCP_PORT; default ${DEFAULT_COORDINATOR_PORT}; 0 picks a free one)`,
    )
    .option(
      '--http-port <port>',
      'HTTP port for the dashboard, /status, /health, /metrics and /v1/kv, on --host (env NODE_HTTP_PORT; default none; 0 picks a free one)',
    )
    .option('--data-dir <dir>', 'node data directory (env NODE_DATA_DIR; default ./data)')
    .option(
      '--socket <path>',
      "storage engine's Unix socket (env STORAGE_SOCKET; default <data-dir>/storage.sock)",
    )
    .option('--log-level <level>', LOG_LEVEL_HELP)
    .option('--log-format <format>', LOG_FORMAT_HELP);
  for (const s of LIMIT_SETTINGS) {
    const unit = s.kind === 'bytes' ? 'size' : 'n';
    const def = s.kind === 'bytes' ? humanSize(s.default) : String(s.default);
    cmd.option(`${s.flag} <${unit}>`, `${s.description} (env ${s.env}; default ${def})`);
  }
  return addNodeTlsOptions(addAuthOptions(cmd));
}

/** 1048576 → "1mb", 1024 → "1kb", 1000 → "1000". */
function humanSize(n: number): string {
  if (n % 2 ** 20 === 0) return `${n / 2 ** 20}mb`;
  if (n % 2 ** 10 === 0) return `${n / 2 ** 10}kb`;
  return String(n);
}

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

export function coordinatorCommand(): Command {
  return addCoordinatorOptions(
    new Command('coordinator').description(
      "the node coordinator: serves RESP clients on TCP, stores through the node's storage engine",
    ),
  )
    .option(
      '--id <id>',
      'the node this coordinator serves, named in its log lines (env NODE_ID; default n1)',
    )
    .addHelpText(
      'after',
      '\nSizes accept 512, 64kb, 1mb, 2gb. Prints "distdb coordinator ready host=<h> port=<p>" (and " http=<port>" with --http-port) when listening.\n' +
        'Start the storage engine first (distdb storage), or run both with distdb node.',
    )
    .action(async (flags: Flags) => {
      const settings = coordinatorSettings(flags);
      let handle: CoordinatorHandle | null = null;
      try {
        const tls = nodeTlsSettings(flags)?.client;
        const logger = createLogger(settings.log, settings.nodeId);
        const serving = reloadOnSighup({
          access: settings.access,
          readTls: tls === undefined ? null : () => nodeTlsSettings(flags)!.material,
          log: logger.child({ component: 'reload' }),
        });
        handle = await startCoordinator({ ...coordinatorOptions(settings, logger), tls });
        serving(handle);
      } catch (err) {
        if (err instanceof CoordinatorConfigError) throw new ConfigError(err.message);
        throw err;
      }
      process.stdout.write(
        `distdb coordinator ready host=${handle.host} port=${handle.port}${httpSuffix(handle.httpPort)}\n`,
      );
      const stop = (): void => {
        void handle.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
