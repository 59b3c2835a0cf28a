// The `distdb` command, a subcommand per process or tool (loaded by main.ts).
// Each X-command.ts defines its subcommand's flags and help and imports only
// such definitions; its action imports X-run.ts, the code that runs it, when
// it runs. So a process loads the code of the subcommand it runs only (a
// storage engine's start took almost twice the CPU when it also loaded the
// coordinator's, the client's and TLS code), and --help loads none of it
// (test/e2e/cli-modules.test.ts).

import { Command } from 'commander';
import { ConfigError, loadDotEnv } from './config.js';
import { storageCommand } from './storage-command.js';
import { coordinatorCommand } from './coordinator-command.js';
import { nodeCommand } from './node-command.js';
import { clientCommand } from './client-command.js';
import { clusterCommand } from './cluster-command.js';
import { startCommand } from './start-command.js';
import { hashPasswordCommand } from './hash-password-command.js';
import { backupCommand } from './backup-command.js';
import { restoreCommand } from './restore-command.js';

async function main(argv: string[]): Promise<void> {
  loadDotEnv();
  const program = new Command('distdb')
    .description('distdb: a distributed key-value and document database')
    .showHelpAfterError('(run with --help for usage)')
    // Options after a subcommand belong to it, so `distdb client SET k -1` passes -1 through.
    .enablePositionalOptions()
    .addCommand(startCommand())
    .addCommand(nodeCommand())
    .addCommand(storageCommand())
    .addCommand(coordinatorCommand())
    .addCommand(clientCommand())
    .addCommand(clusterCommand())
    .addCommand(hashPasswordCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand());
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`distdb: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `distdb: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
