// SIGHUP: `distdb node` and `distdb coordinator` re-read their users file
// and, with TLS, their certificate, key and CA, without a restart. All or
// nothing: every file is read and checked first, and only if all are good
// are the users and certificates replaced; otherwise the node logs which file
// is wrong and keeps what it had. Open connections keep their TLS session;
// those authenticated as a user the reload removed or changed (password,
// permission, key prefix) are closed, the others keep their user.

import type { Logger } from 'pino';
import type { CoordinatorHandle, UserEntry } from '../coordinator/index.js';
import type { TlsMaterial } from '../tls/index.js';
import type { AuthSettings } from './auth-settings.js';
import { releaseSighup } from './early-sighup.js';

export interface Reloadable {
  access: AuthSettings;
  /** Reads and checks the TLS files again (throws naming the file); null without TLS. */
  readTls: (() => TlsMaterial) | null;
  log: Logger;
}

/**
 * Reloads on every SIGHUP from now on. A SIGHUP that arrives before the node
 * serves (also one held by main.ts while the modules loaded) is not lost:
 * the reload is made once the node serves, as one however many arrived, since
 * the files may have changed after the start read them. Call the function
 * returned when the coordinator is serving.
 */
export function reloadOnSighup(what: Reloadable): (coordinator: CoordinatorHandle) => void {
  let serving: CoordinatorHandle | null = null;
  let asked = false;
  const askedWhileStarting = (): void => {
    if (!asked) what.log.info('SIGHUP while the node is starting: reloading once it serves');
    asked = true;
  };
  process.on('SIGHUP', () => {
    if (serving === null) askedWhileStarting();
    else reloadLogged(what, serving);
  });
  if (releaseSighup() > 0) askedWhileStarting();
  return (coordinator) => {
    serving = coordinator;
    if (asked) reloadLogged(what, coordinator);
  };
}

function reloadLogged(what: Reloadable, coordinator: CoordinatorHandle): void {
  try {
    reload(what, coordinator);
  } catch (err) {
    // A listener that throws would end the process: a reload must never.
    what.log.error({ err }, 'reload on SIGHUP failed while applying the new users or certificates');
  }
}

/** One reload; true if everything was replaced, false (and an error logged) if nothing was. */
function reload(what: Reloadable, coordinator: CoordinatorHandle): boolean {
  const { access, readTls, log } = what;
  let users: UserEntry[] | null;
  let tls: TlsMaterial | null;
  try {
    users = access.readUsers?.() ?? null;
    tls = readTls?.() ?? null;
  } catch (err) {
    log.error(
      `reload on SIGHUP failed, keeping the users and certificates in use: ${(err as Error).message}`,
    );
    return false;
  }
  if (users === null && tls === null) {
    log.info('SIGHUP: nothing to reload (no --users-file and no TLS)');
    return true;
  }
  if (users !== null) {
    const changed = access.auth.replace(users);
    log.info(`users reloaded: ${users.length} users`);
    for (const [user, connections] of coordinator.disconnectUsers(changed)) {
      log.info(
        { user, connections },
        `closed ${connections} connections of user ${user}, removed or changed by the reload`,
      );
    }
  }
  if (tls !== null) {
    coordinator.setTls(tls);
    log.info('TLS certificates reloaded');
  }
  return true;
}
