// The node's authenticator, whose users can be replaced while it runs (the
// users file re-read on SIGHUP). Each replacement builds a fresh
// authenticator, so the remembered-password cache (and its HMAC key) starts
// empty: a removed user or a changed password cannot authenticate a new
// connection from a password remembered under the old users. A replacement
// also names the users it removed or changed, so the connections already
// authenticated as them can be closed (the reload does, coordinator.ts).

import {
  createAuthenticator,
  type Authenticator,
  type Principal,
  type UserEntry,
} from './authenticator.js';

export class ReloadableAuthenticator implements Authenticator {
  /** Fixed at start: protected mode and the client port's checks depend on it. */
  readonly required: boolean;
  private current: Authenticator;
  private entries: ReadonlyMap<string, UserEntry>;

  constructor(users: readonly UserEntry[]) {
    this.current = createAuthenticator(users);
    this.required = this.current.required;
    this.entries = byName(users);
  }

  /**
   * Replaces the users; a node started with users keeps at least one (the
   * users file cannot be empty). Returns the names of the users removed or
   * changed (password hash, permission or key prefix): a connection
   * authenticated as one of them holds what the users no longer grant.
   */
  replace(users: readonly UserEntry[]): Set<string> {
    if (users.length === 0 && this.required) {
      throw new Error('a node started with users cannot be left with none');
    }
    const next = byName(users);
    const changed = new Set<string>();
    for (const [name, old] of this.entries) {
      const now = next.get(name);
      if (now === undefined || !sameEntry(old, now)) changed.add(name);
    }
    this.current = createAuthenticator(users);
    this.entries = next;
    return changed;
  }

  verify(user: string, password: string): Principal | null {
    return this.current.verify(user, password);
  }

  async verifyAsync(user: string, password: string): Promise<Principal | null> {
    // A check that straddles a replacement is made again against the new
    // users, so a user removed meanwhile is not let in.
    for (;;) {
      const used = this.current;
      const principal = await used.verifyAsync(user, password);
      if (used === this.current) return principal;
    }
  }
}

function byName(users: readonly UserEntry[]): Map<string, UserEntry> {
  return new Map(users.map((u) => [u.principal.user, u]));
}

/**
 * Same permission, prefix and hash. A password hashed again (a new salt)
 * counts as changed: the node cannot tell it is the same password.
 */
function sameEntry(a: UserEntry, b: UserEntry): boolean {
  const [x, y] = [a.hash, b.hash];
  return (
    a.principal.permission === b.principal.permission &&
    a.principal.keyPrefix === b.principal.keyPrefix &&
    x.n === y.n &&
    x.r === y.r &&
    x.p === y.p &&
    x.salt.equals(y.salt) &&
    x.key.equals(y.key)
  );
}
