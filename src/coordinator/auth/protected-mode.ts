// Protected mode, as Redis does it: a node listening on a non-loopback
// address with no password accepts clients only from loopback, so a node
// started on a public interface by mistake is not open to the world.

import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (a === '::1' || a === 'localhost') return true;
  return isIP(a) === 4 && a.startsWith('127.');
}

export interface ProtectedModeSettings {
  /** Whether protected mode is on (default yes; --protected-mode no turns it off). */
  readonly enabled: boolean;
  /** Whether clients must authenticate (a password or users are configured). */
  readonly authRequired: boolean;
  /** The address the coordinator listens on. */
  readonly bindHost: string;
}

/** Whether the listener is open to other machines without a password while protected mode is on. */
export function protectedModeActive(s: ProtectedModeSettings): boolean {
  return s.enabled && !s.authRequired && !isLoopback(s.bindHost);
}

/** Whether a client from `remoteAddress` is refused. */
export function protectedModeRefuses(
  s: ProtectedModeSettings,
  remoteAddress: string | undefined,
): boolean {
  return protectedModeActive(s) && !(remoteAddress !== undefined && isLoopback(remoteAddress));
}

/** What a refused client is told (the connection is then closed). */
export const PROTECTED_MODE_REFUSAL =
  'DENIED distdb is running in protected mode: it listens on a non-loopback address and no password is set, ' +
  'so only clients on this machine (loopback) are accepted. To allow others, set a password ' +
  '(--requirepass / NODE_PASSWORD) or users (--users-file / NODE_USERS_FILE) and restart; ' +
  'or, if this network is private and you accept that anyone on it can read and write every key, ' +
  'restart with --protected-mode no (NODE_PROTECTED_MODE=no).';

/** Logged at startup when protected mode will refuse outside clients. */
export const PROTECTED_MODE_WARNING =
  'protected mode: listening on a non-loopback address without a password, so only loopback clients are accepted; ' +
  'set --requirepass or --users-file to let other machines in (or --protected-mode no to knowingly open it)';

/** Logged at startup when the node is open to its network with no password. */
export const UNPROTECTED_WARNING =
  'listening on a non-loopback address without a password and with protected mode off: anyone who can reach this port can read and write every key';
