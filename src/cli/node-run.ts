// `distdb node` run (its flags: node-command.ts): both processes of one
// node. The storage engine runs as a supervised child process (restarted if
// it dies); the coordinator runs in this process. Stopping the node stops
// both, and the engine never outlives its node (see orphan-guard.ts for the
// case where this process is killed).

import { mkdirSync } from 'node:fs';
import { CoordinatorConfigError, startCoordinator } from '../coordinator/index.js';
import { ConfigError } from './config.js';
import { coordinatorOptions, coordinatorSettings, httpSuffix } from './coordinator-settings.js';
import { clusterOptions } from './cluster-options.js';
import { createLogger } from './logger.js';
import { reloadOnSighup } from './reload.js';
import { StorageSupervisor } from './storage-supervisor.js';
import { nodeTlsSettings } from './tls-settings.js';

export async function runNode(flags: Record<string, string | undefined>): Promise<void> {
  // A node's client address also comes from NODE_HOST (the cluster's env name).
  const hostFlag = flags['host'] ?? process.env['NODE_HOST'];
  const settings = coordinatorSettings({ ...flags, host: hostFlag || undefined });
  const cluster = clusterOptions(flags, settings.host, settings.port);
  const tls = nodeTlsSettings(flags, cluster.id);
  const { dataDir, socket, nodeId } = settings;
  mkdirSync(dataDir, { recursive: true });

  const logger = createLogger(settings.log, nodeId);
  const storage = new StorageSupervisor({
    dataDir,
    socket,
    nodeId,
    logSettings: settings.log,
    log: logger.child({ component: 'supervisor' }),
  });
  // Whatever ends this process, the storage engine must not outlive it.
  process.once('exit', () => storage.killNow());

  let stopping = false;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>> | null = null;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await coordinator?.close().catch(() => undefined);
    await storage.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  // Installed before anything starts, taking over from main.ts's hold:
  // SIGHUP's default action would end the node.
  const serving = reloadOnSighup({
    access: settings.access,
    readTls: tls === null ? null : () => nodeTlsSettings(flags, cluster.id)!.material,
    log: logger.child({ component: 'reload' }),
  });

  try {
    await storage.start();
  } catch (err) {
    // The engine has already said why on stderr (socket in use, data dir locked, ...).
    throw new ConfigError(`${(err as Error).message}; its own message is above`);
  }
  try {
    coordinator = await startCoordinator({
      ...coordinatorOptions(settings, logger),
      cluster: { ...cluster, tls: tls?.material, storageStopped: () => storage.stoppedBecause },
      tls: tls?.client,
    });
  } catch (err) {
    await storage.stop();
    if (err instanceof CoordinatorConfigError) throw new ConfigError(err.message);
    throw err;
  }
  serving(coordinator);
  process.stdout.write(
    `distdb node ready host=${coordinator.host} port=${coordinator.port}${httpSuffix(coordinator.httpPort)}\n`,
  );
}
