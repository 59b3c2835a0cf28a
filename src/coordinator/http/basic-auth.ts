// HTTP Basic authentication against the node's users (the same credentials
// as the client port), and the permission checks of the key/value API:
// read-only users may not write, users with a key prefix see only their keys.

import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-reply.js';

// The auth module's contract (src/coordinator/auth/authenticator.ts).
export interface Principal {
  readonly user: string;
  readonly permission: 'read' | 'readwrite';
  readonly keyPrefix: string | null;
}

export interface Authenticator {
  readonly required: boolean;
  verify(user: string, password: string): Principal | null;
}

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="distdb", charset="UTF-8"' };

/** The caller's principal; null when the node requires no credentials. Throws 401 otherwise. */
export function authenticate(req: IncomingMessage, auth: Authenticator | null): Principal | null {
  if (auth === null || !auth.required) return null;
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) {
    throw new HttpError(
      401,
      'this node requires credentials: send HTTP Basic auth with a user and password of the node (as for AUTH on the client port)',
      CHALLENGE,
    );
  }
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const principal =
    colon < 0 ? null : auth.verify(decoded.slice(0, colon), decoded.slice(colon + 1));
  if (principal === null) {
    throw new HttpError(401, 'wrong user name or password', CHALLENGE);
  }
  return principal;
}

/** Throws 403 unless `principal` may read (or write) `key`. */
export function checkKeyAccess(principal: Principal | null, key: Buffer, write: boolean): void {
  if (principal === null) return;
  if (write && principal.permission !== 'readwrite') {
    throw new HttpError(
      403,
      `user ${principal.user} may only read; writing needs a read-write user`,
    );
  }
  const prefix = principal.keyPrefix;
  if (prefix !== null && !key.subarray(0, Buffer.byteLength(prefix)).equals(Buffer.from(prefix))) {
    throw new HttpError(
      403,
      `user ${principal.user} may only use keys that start with "${prefix}"`,
    );
  }
}
