// Runs one command: given its command-table row, checks that the client may
// run it (auth/access.ts), arity and key sizes, calls the handler and turns
// any failure into an error reply. Never throws: every outcome is a reply for
// the client.

import type { Logger } from 'pino';
import { encodeError } from '../resp/reply-encoder.js';
import { StorageError, StorageTimeoutError, StorageUnavailableError } from '../storage/errors.js';
import type { CommandContext, Reply } from './command-context.js';
import { accessRefusal } from './auth/access.js';
import {
  CommandError,
  failedInside,
  printable,
  READ_CANCELLED_REPLY,
  STORAGE_UNAVAILABLE,
  storageRefused,
  wrongArity,
} from './command-error.js';
import { arityAccepts, keyIndexes, type CommandSpec } from './command-table.js';
import { settingName } from './limits.js';
import { NO_EXPIRY_ADVICE } from './set-options.js';

/** The table row for a command (by its first word), or undefined if there is none. */
export function lookupCommand(
  commands: ReadonlyMap<string, CommandSpec>,
  args: Buffer[],
): CommandSpec | undefined {
  const nameArg = args[0] as Buffer;
  return nameArg.length <= 32 ? commands.get(nameArg.toString('latin1').toLowerCase()) : undefined;
}

/** Runs `args`, whose row `lookupCommand` found (undefined: unknown command). */
export function dispatch(
  ctx: CommandContext,
  args: Buffer[],
  spec: CommandSpec | undefined,
  log: Logger,
): Reply {
  ctx.node.stats.commandsProcessed++;
  if (spec === undefined) return encodeError(unknownCommand(args));
  ctx.client.lastCommand = spec.name;
  const refused = accessRefusal(ctx.client.access, spec, args);
  if (refused !== null) {
    if (ctx.client.access !== null) ctx.node.stats.accessDenied++; // NOPERM (NOAUTH is not counted)
    return encodeError(refused);
  }
  if (!arityAccepts(spec, args.length)) return encodeError(wrongArity(spec.name).message);
  const maxKey = ctx.node.limits.maxKeySize;
  for (const i of keyIndexes(spec, args.length)) {
    const key = args[i] as Buffer;
    if (key.length > maxKey) {
      return encodeError(
        `ERR key is ${key.length} bytes, larger than the ${maxKey}-byte limit; use a shorter key or raise ${settingName('maxKeySize')}`,
      );
    }
  }
  try {
    const reply = spec.handler(ctx, args, ctx.client.version);
    if (Buffer.isBuffer(reply)) return reply;
    return reply.catch((err: unknown) => failure(err, ctx, spec.name, log));
  } catch (err) {
    return failure(err, ctx, spec.name, log);
  }
}

/** Commands that set a key's expiry: unknown, since keys do not expire (as SET EX is refused). */
const EXPIRY_COMMANDS = new Set([
  'expire',
  'pexpire',
  'expireat',
  'pexpireat',
  'setex',
  'psetex',
  'getex',
]);
const LONGEST_EXPIRY_COMMAND = Math.max(...[...EXPIRY_COMMANDS].map((c) => c.length));

/**
 * Redis's wording, which clients match: `ERR unknown command 'foo', with
 * args beginning with: 'a' 'b' `; for an expiry command, why it is unknown.
 */
function unknownCommand(args: Buffer[]): string {
  const shown = (b: Buffer): string => printable(b.subarray(0, 128));
  const rest = args
    .slice(1)
    .map((a) => `'${shown(a)}' `)
    .join('')
    .slice(0, 128);
  const name = args[0] as Buffer;
  const unknown = `ERR unknown command '${shown(name)}', with args beginning with: ${rest}`;
  // Only a name short enough to be one is lower-cased (a name may be megabytes).
  const expiry =
    name.length <= LONGEST_EXPIRY_COMMAND &&
    EXPIRY_COMMANDS.has(name.toString('latin1').toLowerCase());
  if (!expiry) return unknown;
  return `${unknown}- keys do not expire in distdb yet; ${NO_EXPIRY_ADVICE}`;
}

function failure(err: unknown, ctx: CommandContext, command: string, log: Logger): Buffer {
  if (err instanceof CommandError) return encodeError(err.message);
  if (err instanceof StorageError && err.code === 'cancelled') return READ_CANCELLED_REPLY;
  if (err instanceof StorageUnavailableError || !ctx.node.storage.connected) {
    // The engine went away while the command was in flight.
    return encodeError(STORAGE_UNAVAILABLE);
  }
  if (err instanceof StorageTimeoutError) {
    return encodeError(
      'TRYAGAIN storage engine did not answer in time; a write may still take effect, retry shortly',
    );
  }
  if (err instanceof StorageError) {
    return encodeError(storageRefused(err.code, err.message));
  }
  log.error({ err, command }, 'command failed');
  return encodeError(failedInside(command, (err as Error)?.message ?? String(err)));
}
