// HTTP Basic authentication against the node's users (the same credentials
// as AUTH on the client port). What a user may do with keys is checked by
// dispatch, as for RESP clients (kv-route.ts hands it the user's access);
// the routes that show the whole node (dashboard, /status, /metrics) need a
// user without a key prefix, as DBSIZE does.

import type { IncomingMessage } from 'node:http';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { FailedAuthLog } from '../auth/failed-auth-log.js';
import { HttpError } from './http-reply.js';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="distdb", charset="UTF-8"' };

/** The caller's principal; null when the node requires no credentials. Throws 401 otherwise. */
export async function authenticate(
  req: IncomingMessage,
  auth: Authenticator,
  failures: FailedAuthLog,
): Promise<Principal | null> {
  if (!auth.required) return null;
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) {
    throw new HttpError(
      401,
      'this node requires credentials: send HTTP Basic auth with a user and password of the node (those AUTH takes on the client port)',
      CHALLENGE,
    );
  }
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const principal = colon < 0 ? null : await auth.verifyAsync(user, decoded.slice(colon + 1));
  if (principal === null) {
    failures.record(`${req.socket.remoteAddress}:${req.socket.remotePort}`, user, 'http');
    throw new HttpError(401, 'wrong user name or password', CHALLENGE);
  }
  return principal;
}

/** Throws 403 for a user confined to a key prefix: what follows shows figures of every key. */
export function requireWholeKeyspace(principal: Principal | null): void {
  if (principal === null || principal.keyPrefix === null) return;
  throw new HttpError(
    403,
    `user ${principal.user} may only use keys starting with "${principal.keyPrefix}"; the dashboard, /status, /events and /metrics show the whole node and need a user without a key prefix`,
  );
}
