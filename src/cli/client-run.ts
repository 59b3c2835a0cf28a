// `distdb client` run (its flags: client-command.ts): the interactive shell,
// or one command run for a script, which exits non-zero on an error reply.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { AuthError, connect, ConnectionError } from '../client/index.js';
import type { Client } from '../client/index.js';
import { formatReply, rawReply } from '../client/format.js';
import { runShell } from '../client/shell.js';
import type { ClientFlags } from './client-command.js';
import { parsePositiveInt } from './config.js';
import { credentials } from './credentials.js';
import { nodeTarget } from './node-target.js';
import { clientTlsSettings } from './tls-settings.js';

export async function runClient(words: string[], flags: ClientFlags): Promise<number> {
  // Output piped into `head` and the like: when the reader goes away, stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { host, port } = nodeTarget(flags);
  const timeoutMs =
    flags.timeout === undefined ? 5000 : parsePositiveInt(flags.timeout, 'the timeout (--timeout)');

  // Settings are checked before connecting: a mistake in them is not "is a node running?".
  const tls = clientTlsSettings(flags);
  const login = credentials(flags);
  let client: Client;
  try {
    client = await connect({ host, port, timeoutMs, connectTimeoutMs: timeoutMs, ...login, tls });
  } catch (err) {
    if (err instanceof AuthError) {
      process.stderr.write(`distdb client: ${err.message}\n${AUTH_HINT}\n`);
      return 1;
    }
    const message = (err as Error).message;
    // A TLS failure already says what to change; "is a node running?" would mislead.
    const hint = /requires TLS/.test(message)
      ? `\n${TLS_HINT}`
      : /TLS|certificate/.test(message)
        ? ''
        : `\n${unreachableHint(host, port)}`;
    process.stderr.write(`distdb client: ${message}${hint}\n`);
    return 1;
  }
  try {
    if (words.length > 0) return await runOnce(client, words, flags.raw === true);
    const historyFile =
      flags.historyFile ?? process.env['DISTDB_HISTORY_FILE'] ?? join(homedir(), '.distdb_history');
    return await runShell({
      client,
      input: process.stdin,
      output: process.stdout,
      interactive: process.stdin.isTTY === true,
      historyFile: historyFile === '' ? null : historyFile,
    });
  } finally {
    await client.close();
  }
}

async function runOnce(client: Client, words: string[], raw: boolean): Promise<number> {
  try {
    const reply = await client.raw(words);
    if (reply.type === 'error') {
      process.stderr.write(`(error) ${reply.value}\n`);
      return 1;
    }
    process.stdout.write(raw ? rawReply(reply) : formatReply(reply));
    process.stdout.write('\n');
    return 0;
  } catch (err) {
    const hint =
      err instanceof ConnectionError ? `\n${unreachableHint(client.host, client.port)}` : '';
    process.stderr.write(`distdb client: ${(err as Error).message}${hint}\n`);
    return 1;
  }
}

const TLS_HINT =
  "Give the node's CA with --tls-ca <ca.pem>, or DISTDB_TLS_CA=<ca.pem> in the environment or .env.";

const AUTH_HINT =
  'Give the credentials with --user/--password, or DISTDB_USER/DISTDB_PASSWORD in the environment or .env.';

function unreachableHint(host: string, port: number): string {
  return (
    `Is a node running on ${host}:${port}? Start one with npm start (or distdb node), ` +
    'or point the client elsewhere with --host/--port (HOST_IP_ADDR/HOST_PORT).'
  );
}
