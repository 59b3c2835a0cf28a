// SIGHUP: `distdb node` and `distdb coordinator` re-read their users file
// and, with TLS, their certificate, key and CA, without a restart. All or
// nothing: every file is read and checked first, and only if all are good
// are the users and certificates replaced; otherwise the node logs which file
// is wrong and keeps what it had. Open connections are untouched: they keep
// their TLS session and their authenticated user.

import type { Logger } from 'pino';
import type { CoordinatorHandle, UserEntry } from '../coordinator/index.js';
import type { TlsMaterial } from '../tls/index.js';
import type { AuthSettings } from './auth-options.js';

export interface Reloadable {
  access: AuthSettings;
  /** Reads and checks the TLS files again (throws naming the file); null without TLS. */
  readTls: (() => TlsMaterial) | null;
  log: Logger;
}

/** Reloads on every SIGHUP; `handle` is null until the coordinator is serving. */
export function reloadOnSighup(what: Reloadable, handle: () => CoordinatorHandle | null): void {
  process.on('SIGHUP', () => {
    const coordinator = handle();
    if (coordinator === null) {
      what.log.warn('SIGHUP before the node is serving: nothing reloaded; send it again later');
      return;
    }
    try {
      reload(what, coordinator);
    } catch (err) {
      // A listener that throws would end the process: a reload must never.
      what.log.error(
        { err },
        'reload on SIGHUP failed while applying the new users or certificates',
      );
    }
  });
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
    access.auth.replace(users);
    log.info(`users reloaded: ${users.length} users`);
  }
  if (tls !== null) {
    coordinator.setTls(tls);
    log.info('TLS certificates reloaded');
  }
  return true;
}
