// `distdb storage`: the storage engine process; its flags and help here, its
// code in storage-run.ts, loaded only when it runs (see program.ts).

import { Command } from 'commander';
import { LOG_FORMAT_HELP, LOG_LEVEL_HELP } from './log-options.js';

export function storageCommand(): Command {
  return new Command('storage')
    .description('run the storage engine: LMDB under the data directory, served on a Unix socket')
    .option('--data-dir <dir>', 'node data directory (env NODE_DATA_DIR; default ./data)')
    .option(
      '--socket <path>',
      'Unix socket to serve, mode 0600 (env STORAGE_SOCKET; default <data-dir>/storage.sock)',
    )
    .option(
      '--max-frame-size <size>',
      'largest request frame accepted (env STORAGE_MAX_FRAME_SIZE; default 64mb)',
    )
    .option(
      '--id <id>',
      'the node this engine belongs to, named in its log lines (env NODE_ID; default n1)',
    )
    .option('--log-level <level>', LOG_LEVEL_HELP)
    .option('--log-format <format>', LOG_FORMAT_HELP)
    .addHelpText(
      'after',
      '\nPrints "distdb storage ready socket=<path>" when serving. A socket file left by a crashed\n' +
        'engine is replaced; one that a live process serves is refused.',
    )
    .action(async (flags: Record<string, string | undefined>) => {
      const { runStorage } = await import('./storage-run.js');
      await runStorage(flags);
    });
}
