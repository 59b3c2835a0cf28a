// Who may connect to a node: `--requirepass` (NODE_PASSWORD), the default
// user's password as in Redis; `--users-file` (NODE_USERS_FILE), users with
// hashed passwords, permissions and key prefixes (coordinator/auth/users-file.ts);
// `--protected-mode yes|no` (NODE_PROTECTED_MODE). Shared by distdb node,
// distdb coordinator and distdb start; read by auth-settings.ts.

import type { Command } from 'commander';
import { setting } from './config.js';

type Flags = Record<string, string | undefined>;

export function addAuthOptions(cmd: Command): Command {
  return cmd
    .option(
      '--requirepass <password>',
      'password of the default user (AUTH <password>); prefer env NODE_PASSWORD, which ps does not show',
    )
    .option(
      '--users-file <path>',
      'JSON file of users with hashed passwords, permission and key prefix (env NODE_USERS_FILE; see docs/security.md)',
    )
    .option(
      '--protected-mode <yes|no>',
      'without a password on a non-loopback address, accept loopback clients only (env NODE_PROTECTED_MODE; default yes)',
    );
}

/** The auth flags as environment for child nodes (distdb start), so no password shows in ps. */
export function authEnvironment(flags: Flags): Record<string, string> {
  const env: Record<string, string> = {};
  const password = setting(flags['requirepass'], 'NODE_PASSWORD');
  const usersFile = setting(flags['usersFile'], 'NODE_USERS_FILE');
  const mode = setting(flags['protectedMode'], 'NODE_PROTECTED_MODE');
  if (password !== undefined) env['NODE_PASSWORD'] = password;
  if (usersFile !== undefined) env['NODE_USERS_FILE'] = usersFile;
  if (mode !== undefined) env['NODE_PROTECTED_MODE'] = mode;
  return env;
}
