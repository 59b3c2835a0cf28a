// Stored passwords: scrypt (node:crypto) with a random salt per user, kept as
// one self-describing string, `scrypt$N$r$p$<salt base64>$<key base64>`, so
// the cost can be raised later without breaking hashes already written.
// Comparison is constant-time (timingSafeEqual).

import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

export interface PasswordHash {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export interface ScryptCost {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/** Cost for new hashes: about 30 ms and 16 MiB per check on a 2020s core. */
export const DEFAULT_COST: ScryptCost = { n: 2 ** 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Limits on a stored hash's cost, so a bad users file cannot make one check take gigabytes. */
const MAX_N = 2 ** 17;
const MAX_R = 32;
const MAX_P = 16;

/** Hashes `password` with a fresh salt; the string to put in a users file. */
export function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): string {
  const salt = randomBytes(SALT_BYTES);
  const key = derive(password, { ...cost, salt, key: Buffer.alloc(KEY_BYTES) });
  return formatHash({ ...cost, salt, key });
}

export function formatHash(h: PasswordHash): string {
  return `scrypt$${h.n}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.key.toString('base64')}`;
}

/** Parses a stored hash; throws an Error saying what is wrong (never echoing the text). */
export function parseHash(text: string): PasswordHash {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new Error(
      'a password hash must look like scrypt$N$r$p$salt$key (make one with distdb hash-password)',
    );
  }
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 1 && v <= max;
  if (!ok(n, MAX_N) || (n & (n - 1)) !== 0 || n < 2 || !ok(r, MAX_R) || !ok(p, MAX_P)) {
    throw new Error(
      `a password hash's cost must be N a power of two up to ${MAX_N}, r up to ${MAX_R}, p up to ${MAX_P}`,
    );
  }
  const salt = Buffer.from(parts[4] as string, 'base64');
  const key = Buffer.from(parts[5] as string, 'base64');
  if (salt.length < 8 || key.length < 16) {
    throw new Error(
      'a password hash has a salt or key too short; make a new one with distdb hash-password',
    );
  }
  return { n, r, p, salt, key };
}

function options(h: PasswordHash): { N: number; r: number; p: number; maxmem: number } {
  return { N: h.n, r: h.r, p: h.p, maxmem: 128 * h.n * h.r * h.p + 2 ** 20 };
}

function derive(password: string, h: PasswordHash): Buffer {
  return scryptSync(password, h.salt, h.key.length, options(h));
}

/** Whether `password` matches (blocks the thread for one scrypt). */
export function matchesSync(password: string, h: PasswordHash): boolean {
  return timingSafeEqual(derive(password, h), h.key);
}

/** Whether `password` matches, computed on the libuv thread pool (the event loop stays free). */
export function matches(password: string, h: PasswordHash): Promise<boolean> {
  return new Promise((resolve, reject) => {
    scrypt(password, h.salt, h.key.length, options(h), (err, key) => {
      if (err) reject(err);
      else resolve(timingSafeEqual(key, h.key));
    });
  });
}
