// `distdb coordinator` run (its flags: coordinator-command.ts): the
// coordinator in this process, until SIGTERM or SIGINT.

import {
  CoordinatorConfigError,
  startCoordinator,
  type CoordinatorHandle,
} from '../coordinator/index.js';
import { ConfigError } from './config.js';
import { coordinatorOptions, coordinatorSettings, httpSuffix } from './coordinator-settings.js';
import { createLogger } from './logger.js';
import { reloadOnSighup } from './reload.js';
import { nodeTlsSettings } from './tls-settings.js';

export async function runCoordinator(flags: Record<string, string | undefined>): Promise<void> {
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
}
