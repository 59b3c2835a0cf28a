// A cluster node's coordinator as a process of its own, with the storage
// engine started apart (`distdb storage`): what `distdb node` runs, with the
// same flags, minus the engine it supervises. `distdb coordinator` serves no
// Raft group, and `distdb node` points its coordinator at its own engine's
// socket; this lets a test put a fault injector (storage-proxy.ts) between a
// node's Raft driver and its engine. One flag of its own, not a user's:
// --request-timeout-ms, how long a write, read or admin request may wait for
// the cluster (default 5000), for a test whose outcome depends on it. Prints
// "node coordinator ready host=<h> port=<p>" when serving; SIGTERM stops it.

import { Command } from 'commander';
import { addClusterOptions, clusterOptions } from '../../src/cli/cluster-options.js';
import { addCoordinatorOptions } from '../../src/cli/coordinator-command.js';
import { coordinatorOptions, coordinatorSettings } from '../../src/cli/coordinator-settings.js';
import { createLogger } from '../../src/cli/logger.js';
import { startCoordinator } from '../../src/coordinator/index.js';

async function main(argv: string[]): Promise<void> {
  const cmd = addClusterOptions(addCoordinatorOptions(new Command('node-coordinator')));
  cmd.option('--request-timeout-ms <ms>', 'how long a request may wait for the cluster');
  cmd.parse(argv);
  const flags = cmd.opts<Record<string, string | undefined>>();
  const settings = coordinatorSettings(flags);
  const cluster = clusterOptions(flags, settings.host, settings.port);
  const timeout = flags['requestTimeoutMs'];
  if (timeout !== undefined) cluster.settings.requestTimeoutMs = Number(timeout);
  const logger = createLogger(settings.log, settings.nodeId);
  const handle = await startCoordinator({ ...coordinatorOptions(settings, logger), cluster });
  process.stdout.write(`node coordinator ready host=${handle.host} port=${handle.port}\n`);
  process.once('SIGTERM', () => void handle.close().then(() => process.exit(0)));
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`node coordinator: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
