// The users file (--users-file / NODE_USERS_FILE): JSON, one entry per user,
// passwords only as hashes made by `distdb hash-password`:
//
//   { "users": [
//     { "name": "app",    "permission": "readwrite", "keyPrefix": "app:", "passwordHash": "scrypt$..." },
//     { "name": "viewer", "permission": "read",                           "passwordHash": "scrypt$..." }
//   ] }
//
// Errors name the file and the entry, never the hash itself.

import { readFileSync } from 'node:fs';
import { DEFAULT_USER, type Permission, type UserEntry } from './authenticator.js';
import { parseHash } from './password-hash.js';

/** A users file or password setting a person must fix; the message says what. */
export class UsersConfigError extends Error {
  override name = 'UsersConfigError';
}

const FIELDS = new Set(['name', 'permission', 'keyPrefix', 'passwordHash']);
const PERMISSIONS: readonly Permission[] = ['read', 'readwrite'];
const MAX_NAME = 128;
const MAX_PREFIX = 512;

export function loadUsersFile(path: string): UserEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsersConfigError(
      `cannot read the users file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseUsers(text, path);
}

/** Parses a users file's text; `where` names it in errors. */
export function parseUsers(text: string, where: string): UserEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsersConfigError(`users file ${where} is not valid JSON: ${(err as Error).message}`);
  }
  const list = isObject(doc) ? doc['users'] : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new UsersConfigError(
      `users file ${where} must be {"users": [{"name": ..., "permission": "read"|"readwrite", "passwordHash": ...}, ...]} with at least one user`,
    );
  }
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const fail = (what: string): never => {
      const name = isObject(raw) && typeof raw['name'] === 'string' ? ` ("${raw['name']}")` : '';
      throw new UsersConfigError(`users file ${where}, user ${i + 1}${name}: ${what}`);
    };
    if (!isObject(raw)) return fail('must be an object');
    const unknown = Object.keys(raw).filter((k) => !FIELDS.has(k));
    if (unknown.length > 0) {
      fail(
        `unknown field ${unknown.map((k) => `"${k}"`).join(', ')}; the fields are ${[...FIELDS].join(', ')}`,
      );
    }
    const { name, permission, keyPrefix, passwordHash } = raw;
    if (typeof name !== 'string' || !/^[\x21-\x7e]+$/.test(name) || name.length > MAX_NAME) {
      fail(`"name" must be 1 to ${MAX_NAME} printable characters without spaces`);
    }
    if (seen.has(name as string)) fail('the name is used twice');
    seen.add(name as string);
    if (!PERMISSIONS.includes(permission as Permission)) {
      fail(`"permission" must be "read" or "readwrite"`);
    }
    if (
      keyPrefix !== undefined &&
      keyPrefix !== null &&
      (typeof keyPrefix !== 'string' || keyPrefix === '' || keyPrefix.length > MAX_PREFIX)
    ) {
      fail(
        `"keyPrefix" must be a non-empty string of at most ${MAX_PREFIX} characters, or left out for all keys`,
      );
    }
    if (typeof passwordHash !== 'string') {
      return fail('"passwordHash" is missing (make one with: distdb hash-password)');
    }
    let hash;
    try {
      hash = parseHash(passwordHash);
    } catch (err) {
      return fail(`"passwordHash": ${(err as Error).message}`);
    }
    return {
      principal: Object.freeze({
        user: name as string,
        permission: permission as Permission,
        keyPrefix: (keyPrefix as string | undefined) ?? null,
      }),
      hash,
    };
  });
}

/** The node's users from both settings; --requirepass is the default user and cannot also be in the file. */
export function mergeUsers(
  requirePass: UserEntry | null,
  fromFile: readonly UserEntry[],
): UserEntry[] {
  if (requirePass === null) return [...fromFile];
  if (fromFile.some((u) => u.principal.user === DEFAULT_USER)) {
    throw new UsersConfigError(
      `the users file defines the "${DEFAULT_USER}" user and a password (--requirepass / NODE_PASSWORD) is set too; keep one of them`,
    );
  }
  return [requirePass, ...fromFile];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
