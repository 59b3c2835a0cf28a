// An error reply for the client. The message starts with its code word
// (ERR, TRYAGAIN, NOPROTO, …) followed by a sentence a person can act on.

import { encodeError } from '../resp/reply-encoder.js';

export class CommandError extends Error {
  override name = 'CommandError';
}

export function syntaxError(): CommandError {
  return new CommandError('ERR syntax error');
}

export function notAnInteger(): CommandError {
  return new CommandError('ERR value is not an integer or out of range');
}

export function wrongArity(command: string): CommandError {
  return new CommandError(`ERR wrong number of arguments for '${command.toLowerCase()}' command`);
}

/**
 * The reply of a read dropped because its client is gone (CommandContext.gone):
 * written nowhere. One buffer, told by its identity, so the metrics count it
 * as a cancelled read, not as a command that failed.
 */
export const READ_CANCELLED_REPLY: Buffer = encodeError(
  'ERR the read was cancelled: its client is gone',
);

/** The storage engine is down or restarting; the client should retry. */
export const STORAGE_UNAVAILABLE = 'TRYAGAIN storage engine unavailable; retry shortly';

const STORAGE_REFUSED = 'ERR storage engine refused the request';
const FAILED_INSIDE = 'failed inside distdb:';
const FAILED_INSIDE_REPLY = new RegExp(`^ERR \\S+ ${FAILED_INSIDE}`);

/** The engine refused a request distdb built: a fault of distdb, not of the client's request. */
export function storageRefused(code: string, message: string): string {
  return `${STORAGE_REFUSED} (${code}): ${message}`;
}

/** A handler failed unexpectedly: a fault of distdb, not of the client's request. */
export function failedInside(command: string, detail: string): string {
  return `ERR ${command} ${FAILED_INSIDE} ${detail}; the node log has details`;
}

/** Whether an error reply was built by storageRefused or failedInside (HTTP answers those 500, not 400). */
export function isInternalFailure(reply: string): boolean {
  return reply.startsWith(STORAGE_REFUSED) || FAILED_INSIDE_REPLY.test(reply);
}

/** Bytes as text for an error message: printable ASCII kept, the rest as \xNN. */
export function printable(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
