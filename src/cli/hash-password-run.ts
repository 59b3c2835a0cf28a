// `distdb hash-password` run (its flags: hash-password-command.ts): the
// password read without echo at a terminal, or piped, and its hash printed.

import { hashPassword } from '../coordinator/auth/password-hash.js';
import { ConfigError } from './config.js';
import type { HashPasswordFlags } from './hash-password-command.js';

/** Longest password read; scrypt takes any length, this only bounds memory. */
const MAX_PASSWORD_BYTES = 4096;

export async function runHashPassword(flags: HashPasswordFlags): Promise<void> {
  if (flags.user === undefined && (flags.permission ?? flags.keyPrefix) !== undefined) {
    // Without --user only the hash is printed: the permission would be silently lost.
    throw new ConfigError('--permission and --key-prefix describe a user: add --user <name>');
  }
  const permission = flags.permission ?? 'readwrite';
  if (permission !== 'read' && permission !== 'readwrite') {
    throw new ConfigError(`--permission must be read or readwrite, got "${permission}"`);
  }
  const password = process.stdin.isTTY ? await askTwice() : await readPiped();
  const hash = hashPassword(password);
  if (flags.user === undefined) {
    process.stdout.write(hash + '\n');
    return;
  }
  const entry: Record<string, string> = { name: flags.user, permission };
  if (flags.keyPrefix !== undefined) entry['keyPrefix'] = flags.keyPrefix;
  entry['passwordHash'] = hash;
  process.stdout.write(JSON.stringify(entry) + '\n');
}

/** All of stdin, less one trailing newline (as `echo` adds). */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_PASSWORD_BYTES) {
      throw new ConfigError(`the password is longer than ${MAX_PASSWORD_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return checked(
    Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, ''),
  );
}

async function askTwice(): Promise<string> {
  const first = checked(await ask('Password: '));
  const again = await ask('Again: ');
  if (again !== first) throw new ConfigError('the two passwords differ; nothing was printed');
  return first;
}

function checked(password: string): string {
  if (password === '') throw new ConfigError('the password is empty');
  return password;
}

/** Reads one line at the terminal without echoing it. */
function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (text: string): void => {
      for (const c of text) {
        if (c === '\r' || c === '\n') return done(null);
        if (c === '\u0003') return done(new ConfigError('cancelled'));
        if (c === '\u007f' || c === '\b') line = line.slice(0, -1);
        else if (line.length < MAX_PASSWORD_BYTES) line += c;
      }
    };
    stdin.on('data', onData);
  });
}
