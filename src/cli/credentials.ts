// Client credentials for distdb client, cluster and backup and the benchmark:
// --user / --password, else DISTDB_USER / DISTDB_PASSWORD (environment or
// .env). A password on the command line shows in ps; the environment does not.

import type { Command } from 'commander';
import { ConfigError, setting } from './config.js';

export interface Credentials {
  user?: string;
  password?: string;
}

export function addCredentialOptions(cmd: Command): Command {
  return cmd
    .option('--user <name>', 'user to authenticate as (env DISTDB_USER; default: the default user)')
    .option(
      '-a, --password <password>',
      'password to authenticate with (env DISTDB_PASSWORD, which ps does not show)',
    );
}

export function credentials(flags: { user?: string; password?: string }): Credentials {
  const user = setting(flags.user, 'DISTDB_USER');
  const password = setting(flags.password, 'DISTDB_PASSWORD');
  if (user !== undefined && password === undefined) {
    throw new ConfigError(
      `--user ${user} needs a password: give --password or set DISTDB_PASSWORD`,
    );
  }
  return password === undefined ? {} : user === undefined ? { password } : { user, password };
}
