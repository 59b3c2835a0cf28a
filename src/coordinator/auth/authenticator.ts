// Who a client is: the node's users (from --requirepass and --users-file),
// each with a stored password hash, a permission and an optional key prefix.
// `verify` is the contract other parts use (HTTP Basic auth); AUTH and HELLO
// use `verifyAsync`, which runs scrypt off the event loop.
//
// A password already verified once is remembered as an HMAC under a key that
// lives only in this process, so a client that reconnects (or an HTTP client
// sending Basic auth on every request) costs one HMAC, not one scrypt. A wrong
// password always costs a full scrypt, also for a user that does not exist
// (against a dummy hash), so timing tells nothing about which users exist.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  hashPassword,
  matches,
  matchesSync,
  parseHash,
  type PasswordHash,
} from './password-hash.js';

export type Permission = 'read' | 'readwrite';

export interface Principal {
  readonly user: string;
  readonly permission: Permission;
  readonly keyPrefix: string | null;
}

export interface Authenticator {
  /** False when no password or users are configured: every client has full access. */
  readonly required: boolean;
  /** The user's principal if `password` is theirs, else null. Blocks for one scrypt on a miss. */
  verify(user: string, password: string): Principal | null;
  /** Same answer as verify, with scrypt on the thread pool. */
  verifyAsync(user: string, password: string): Promise<Principal | null>;
}

/** The user `AUTH password` (one argument) authenticates as, as in Redis. */
export const DEFAULT_USER = 'default';

/** What an unauthenticated node grants everyone. */
export const FULL_ACCESS: Principal = Object.freeze({
  user: DEFAULT_USER,
  permission: 'readwrite',
  keyPrefix: null,
});

/** A configured user: the principal it becomes and the hash its password must match. */
export interface UserEntry {
  readonly principal: Principal;
  readonly hash: PasswordHash;
}

/** An admin may change the cluster: read-write and confined to no prefix. */
export function isAdmin(p: Principal): boolean {
  return p.permission === 'readwrite' && p.keyPrefix === null;
}

/** Builds the node's authenticator; no users: nothing is required. */
export function createAuthenticator(users: readonly UserEntry[]): Authenticator {
  return users.length === 0 ? OPEN : new UsersAuthenticator(users);
}

/** `--requirepass`: the default user, read-write, with this password (kept only hashed). */
export function requirePassUser(password: string): UserEntry {
  return { principal: FULL_ACCESS, hash: parseHash(hashPassword(password)) };
}

const OPEN: Authenticator = {
  required: false,
  // As Redis without a password: the default user's password is anything.
  verify: (user) => (user === DEFAULT_USER ? FULL_ACCESS : null),
  verifyAsync: (user) => Promise.resolve(user === DEFAULT_USER ? FULL_ACCESS : null),
};

class UsersAuthenticator implements Authenticator {
  readonly required = true;
  private readonly users = new Map<string, UserEntry>();
  private readonly macKey = randomBytes(32);
  /** Per user, the MAC of the password last verified for them. */
  private readonly verified = new Map<string, Buffer>();
  /** Checked against for unknown users, so they take as long as known ones. */
  private readonly dummy: PasswordHash = parseHash(hashPassword(randomBytes(16).toString('hex')));

  constructor(entries: readonly UserEntry[]) {
    for (const e of entries) this.users.set(e.principal.user, e);
  }

  verify(user: string, password: string): Principal | null {
    const entry = this.users.get(user);
    const mac = this.mac(password);
    if (entry !== undefined && this.seen(user, mac)) return entry.principal;
    const ok = matchesSync(password, entry?.hash ?? this.dummy);
    return this.settle(entry, user, mac, ok);
  }

  async verifyAsync(user: string, password: string): Promise<Principal | null> {
    const entry = this.users.get(user);
    const mac = this.mac(password);
    if (entry !== undefined && this.seen(user, mac)) return entry.principal;
    const ok = await matches(password, entry?.hash ?? this.dummy);
    return this.settle(entry, user, mac, ok);
  }

  private mac(password: string): Buffer {
    return createHmac('sha256', this.macKey).update(password).digest();
  }

  private seen(user: string, mac: Buffer): boolean {
    const known = this.verified.get(user);
    return known !== undefined && timingSafeEqual(known, mac);
  }

  private settle(
    entry: UserEntry | undefined,
    user: string,
    mac: Buffer,
    ok: boolean,
  ): Principal | null {
    if (entry === undefined || !ok) return null;
    this.verified.set(user, mac);
    return entry.principal;
  }
}
