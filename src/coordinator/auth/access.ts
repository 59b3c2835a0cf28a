// What an authenticated (or not yet authenticated) client may run. One check,
// made by dispatch before every command, driven by the command table's rows:
// their flags (write, no_auth), key positions, admin subcommands and whether
// they read across the whole key space.
//
// Rules:
//   - not authenticated (a password or users are configured): only commands
//     flagged no_auth (AUTH, HELLO, PING, QUIT); the rest get NOAUTH;
//   - a read user: no command flagged write;
//   - a user with a key prefix: every key argument must start with it, and
//     commands that read across all keys (DBSIZE) are refused; SCAN returns
//     only the user's keys (keyspace-commands.ts), INFO no key count
//     (info-command.ts), CLIENT LIST only its own connections
//     (connection-commands.ts);
//   - admin subcommands (CLUSTER ADD/REMOVE/TRANSFER-LEADER, CONFIG
//     RESETSTAT) need an admin: a readwrite user without a key prefix.

import type { CommandSpec } from '../command-table.js';
import { keyIndexes } from '../command-table.js';
import { printable } from '../command-error.js';
import { FULL_ACCESS, isAdmin, type Principal } from './authenticator.js';

/** A connection's authenticated identity, with its key prefix as bytes for the checks. */
export interface ClientAccess {
  readonly principal: Principal;
  readonly prefix: Buffer | null;
  /** Full access: no further check is needed (the common case, kept cheap). */
  readonly unrestricted: boolean;
}

export function grant(principal: Principal): ClientAccess {
  return {
    principal,
    prefix: principal.keyPrefix === null ? null : Buffer.from(principal.keyPrefix, 'utf8'),
    // An admin passes every check below, so none needs making.
    unrestricted: isAdmin(principal),
  };
}

export const NOAUTH_REPLY =
  'NOAUTH Authentication required. Send AUTH <password> (or AUTH <user> <password>) first; ' +
  'distdb client and distdb cluster take --user/--password (or DISTDB_USER/DISTDB_PASSWORD).';

/** The error to answer instead of running the command, or null when it may run. */
export function accessRefusal(
  access: ClientAccess | null,
  spec: CommandSpec,
  args: readonly Buffer[],
): string | null {
  if (access === null) return spec.flags.includes('no_auth') ? null : NOAUTH_REPLY;
  if (access.unrestricted) return null;
  const { user, permission } = access.principal;
  if (permission === 'read' && spec.flags.includes('write')) {
    return `NOPERM User ${user} has no permissions to run the '${spec.name}' command: the user is read-only`;
  }
  if (spec.adminSubcommands !== undefined && args.length > 1) {
    const sub = (args[1] as Buffer).toString('latin1').toLowerCase();
    if (spec.adminSubcommands.includes(sub)) {
      return `NOPERM User ${user} has no permissions to run the '${spec.name}|${sub}' command: it needs a readwrite user without a key prefix`;
    }
  }
  const prefix = access.prefix;
  if (prefix === null) return null;
  if (spec.keyspaceWide === true) {
    return `NOPERM User ${user} has no permissions to run the '${spec.name}' command: it reads keys outside the user's prefix '${printable(prefix)}'`;
  }
  for (const i of keyIndexes(spec, args.length)) {
    const key = args[i] as Buffer;
    if (!hasPrefix(key, prefix)) {
      return `NOPERM No permissions to access the key '${printable(key.subarray(0, 128))}': user ${user} may only use keys starting with '${printable(prefix)}'`;
    }
  }
  return null;
}

export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** Every connection's access on a node without passwords. */
export const OPEN_ACCESS: ClientAccess = grant(FULL_ACCESS);
