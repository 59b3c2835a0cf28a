// Settings come from, in order of precedence: command-line flags, the process
// environment, a `.env` file in the working directory, then defaults.
// `loadDotEnv` fills process.env from `.env` without overriding what the
// environment already sets, so reading process.env afterwards honours that order.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** A setting a person must fix; its message says which one and how. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Loads `.env` from `dir` if there is one; returns its path, or null. */
export function loadDotEnv(dir: string = process.cwd()): string | null {
  const path = resolve(dir, '.env');
  if (!existsSync(path)) return null;
  try {
    process.loadEnvFile(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return path;
}

/** A flag's value if given, else the named environment variable's, else undefined. */
export function setting(flag: string | undefined, envName: string): string | undefined {
  if (flag !== undefined) return flag;
  const v = process.env[envName];
  return v === undefined || v === '' ? undefined : v;
}

/** true/false from a boolean flag or an environment variable (1/0, true/false, yes/no). */
export function flagOn(flag: string | boolean | undefined, envName: string, what: string): boolean {
  if (flag === true) return true;
  const text = process.env[envName];
  if (text === undefined || text === '') return false;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${what} (${envName}) must be 1 or 0 (true/false), got "${text}"`);
}

export function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${what} must be a TCP port number from 0 to 65535, got "${text}"`);
  }
  return n;
}

export function parsePositiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(`${what} must be a positive whole number, got "${text}"`);
  }
  return n;
}

/** Parses sizes such as `512`, `64kb`, `1mb`, `2gb` (binary multiples). */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text);
  if (!m) throw new ConfigError(`${what} must be a size such as 512, 64kb or 1mb, got "${text}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('g')
    ? 2 ** 30
    : unit.startsWith('m')
      ? 2 ** 20
      : unit.startsWith('k')
        ? 2 ** 10
        : 1;
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConfigError(`${what} is out of range: "${text}"`);
  return n;
}
