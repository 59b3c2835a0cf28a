// SET key value [NX|XX] [GET] [KEEPTTL] — the options after key and value.
// Expiry options (EX, PX, EXAT, PXAT) are refused plainly: keys do not expire
// yet, and silently storing a key forever that the client meant to expire
// would be worse than an error.

import { CommandError, printable } from './command-error.js';

export interface SetOptions {
  /** nx: only if the key is absent; xx: only if it exists. */
  cond: 'nx' | 'xx' | undefined;
  /** Reply with the previous value (SET ... GET). */
  returnOld: boolean;
}

const EXPIRY = new Set(['ex', 'px', 'exat', 'pxat']);

/** What to do instead of an expiry, said wherever one is refused (also the expiry commands, dispatch.ts). */
export const NO_EXPIRY_ADVICE =
  'set the key without an expiry and delete it when it is no longer needed';
/** Bytes of an unknown option shown back to the client: enough to recognise it. */
const SHOWN_BYTES = 40;

/**
 * "ERR syntax error" as Redis says it (clients match the start), then what
 * was wrong: an extra word is most often a value with a space, unquoted.
 */
function notAnOption(name: string, word: Uint8Array): CommandError {
  const shown = printable(word.subarray(0, SHOWN_BYTES)) + (word.length > SHOWN_BYTES ? '...' : '');
  return new CommandError(
    `ERR syntax error: ${name} takes a key, a value and the options NX, XX, GET or KEEPTTL, not '${shown}'; put a value with spaces in quotes: ${name} key "a b"`,
  );
}

/** Parses `args[from..]`; throws a CommandError for what Redis would reject. */
export function parseSetOptions(args: readonly Uint8Array[], from: number): SetOptions {
  const opts: SetOptions = { cond: undefined, returnOld: false };
  const name = Buffer.from(args[0] ?? Buffer.alloc(0))
    .toString('latin1')
    .toUpperCase();
  for (let i = from; i < args.length; i++) {
    const word = Buffer.from(args[i] as Uint8Array)
      .toString('latin1')
      .toLowerCase();
    if (word === 'nx' || word === 'xx') {
      if (opts.cond !== undefined && opts.cond !== word) {
        throw new CommandError(
          `ERR syntax error: ${name} takes NX or XX, not both (NX: only if the key is absent; XX: only if it exists)`,
        );
      }
      opts.cond = word;
    } else if (word === 'get') {
      opts.returnOld = true;
    } else if (word === 'keepttl') {
      // No key has an expiry, so keeping it is what already happens.
    } else if (EXPIRY.has(word)) {
      throw new CommandError(
        `ERR ${name} ${word.toUpperCase()} (key expiry) is not supported yet; ${NO_EXPIRY_ADVICE}`,
      );
    } else {
      throw notAnOption(name, args[i] as Uint8Array);
    }
  }
  return opts;
}
