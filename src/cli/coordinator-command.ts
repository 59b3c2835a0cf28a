// `distdb coordinator`: the node's client-facing process, which listens on
// TCP for RESP clients and drives the node's storage engine over its Unix
// socket; its flags and help here, its code in coordinator-run.ts, loaded
// only when it runs (see program.ts). `addCoordinatorOptions` is shared with
// `distdb node`, which runs the same coordinator in its own process.

import { Command } from 'commander';
import { DEFAULT_COORDINATOR_HOST, DEFAULT_COORDINATOR_PORT } from '../coordinator/defaults.js';
import { LIMIT_SETTINGS } from '../coordinator/limits.js';
import { addAuthOptions } from './auth-options.js';
import { LOG_FORMAT_HELP, LOG_LEVEL_HELP } from './log-options.js';
import { addNodeTlsOptions } from './tls-options.js';

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
      const { runCoordinator } = await import('./coordinator-run.js');
      await runCoordinator(flags);
    });
}
