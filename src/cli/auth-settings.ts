// The settings of who may connect to a node (the flags: auth-options.ts):
// the users, the default user's password hashed at once, protected mode.

// From their own modules, not the coordinator's index: distdb start reads
// these settings without running a coordinator.
import { requirePassUser, type UserEntry } from '../coordinator/auth/authenticator.js';
import { ReloadableAuthenticator } from '../coordinator/auth/reloadable-authenticator.js';
import { loadUsersFile, mergeUsers, UsersConfigError } from '../coordinator/auth/users-file.js';
import { ConfigError, setting } from './config.js';

type Flags = Record<string, string | undefined>;

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
