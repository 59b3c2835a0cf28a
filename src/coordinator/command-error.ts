// An error reply for the client. The message starts with its code word
// (ERR, TRYAGAIN, NOPROTO, …) followed by a sentence a person can act on.

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

/** The storage engine is down or restarting; the client should retry. */
export const STORAGE_UNAVAILABLE = 'TRYAGAIN storage engine unavailable; retry shortly';

/** Bytes as text for an error message: printable ASCII kept, the rest as \xNN. */
export function printable(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
