// Who may connect to a node: `--requirepass` (NODE_PASSWORD), the default
// user's password as in Redis; `--users-file` (NODE_USERS_FILE), users with
// hashed passwords, permissions and key prefixes (coordinator/auth/users-file.ts);
// `--protected-mode yes|no` (NODE_PROTECTED_MODE). Shared by distdb node,
// distdb coordinator and distdb start.

import type { Command } from 'commander';
import {
  loadUsersFile,
  mergeUsers,
  ReloadableAuthenticator,
  requirePassUser,
  UsersConfigError,
  type UserEntry,
} from '../coordinator/index.js';
import { ConfigError, setting } from './config.js';

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

export interface AuthSettings {
  auth: ReloadableAuthenticator;
  protectedMode: boolean;
  /** Reads the users file again (SIGHUP): the node's whole user list, or a UsersConfigError. Null without a users file. */
  readUsers: (() => UserEntry[]) | null;
}

/** Reads the settings and hashes the password at once (the plain text is not kept). */
export function authSettings(flags: Flags): AuthSettings {
  const password = setting(flags['requirepass'], 'NODE_PASSWORD');
  const usersFile = setting(flags['usersFile'], 'NODE_USERS_FILE');
  const modeText = (setting(flags['protectedMode'], 'NODE_PROTECTED_MODE') ?? 'yes').toLowerCase();
  if (modeText !== 'yes' && modeText !== 'no') {
    throw new ConfigError(
      `protected mode (--protected-mode / NODE_PROTECTED_MODE) must be yes or no, got "${modeText}"`,
    );
  }
  if (password === '') {
    throw new ConfigError(
      'the password (--requirepass) is empty; give a real one, or leave the flag out for no password',
    );
  }
  // Hashed once: a reload re-reads the file, never the password.
  const defaultUser = password === undefined ? null : requirePassUser(password);
  const readUsers =
    usersFile === undefined ? null : () => mergeUsers(defaultUser, loadUsersFile(usersFile));
  try {
    const users = readUsers?.() ?? mergeUsers(defaultUser, []);
    return {
      auth: new ReloadableAuthenticator(users),
      protectedMode: modeText === 'yes',
      readUsers,
    };
  } catch (err) {
    if (err instanceof UsersConfigError) throw new ConfigError(err.message);
    throw err;
  }
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
