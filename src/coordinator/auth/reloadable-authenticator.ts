// The node's authenticator, whose users can be replaced while it runs (the
// users file re-read on SIGHUP). Each replacement builds a fresh
// authenticator, so the remembered-password cache (and its HMAC key) starts
// empty: a removed user or a changed password cannot authenticate a new
// connection from a password remembered under the old users. Connections
// already authenticated keep their principal, as Redis's ACL LOAD does.

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

  constructor(users: readonly UserEntry[]) {
    this.current = createAuthenticator(users);
    this.required = this.current.required;
  }

  /** Replaces the users; a node started with users keeps at least one (the users file cannot be empty). */
  replace(users: readonly UserEntry[]): void {
    if (users.length === 0 && this.required) {
      throw new Error('a node started with users cannot be left with none');
    }
    this.current = createAuthenticator(users);
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
