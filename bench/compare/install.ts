// The comparison systems come from Debian packages. When a binary is missing
// the harness installs its package with apt-get, saying so first; when that
// is not possible it stops with the command to run.

import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Package {
  /** An absolute path or a name looked up on PATH. */
  binary: string;
  debian: string;
}

export function findBinary(binary: string): string | null {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, binary));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

export function ensureInstalled(pkg: Package, say: (line: string) => void): void {
  if (findBinary(pkg.binary)) return;
  const root = process.getuid?.() === 0;
  const prefix = root ? [] : ['sudo'];
  const manual = `${prefix.join(' ')} apt-get install -y ${pkg.debian}`.trim();
  say(`${pkg.binary} is missing: installing the Debian package ${pkg.debian} (${manual})`);
  for (const args of [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', pkg.debian],
  ]) {
    const cmd = [...prefix, ...args];
    say(`  $ ${cmd.join(' ')}`);
    const r = spawnSync(cmd[0]!, cmd.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) {
      throw new Error(
        `could not install ${pkg.debian} (${r.error?.message ?? `status ${r.status}`}); install it with: ${manual}`,
      );
    }
  }
  if (!findBinary(pkg.binary)) {
    throw new Error(`${pkg.debian} is installed but ${pkg.binary} is still missing`);
  }
}

/** The first line `<binary> --version` prints, for the results file. */
export function versionOf(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 })
      .split('\n')[0]!
      .trim();
  } catch {
    return 'unknown';
  }
}
