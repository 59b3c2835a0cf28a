// SET key value [NX|XX] [GET] [KEEPTTL] — the options after key and value.
// Expiry options (EX, PX, EXAT, PXAT) are refused plainly: keys do not expire
// yet, and silently storing a key forever that the client meant to expire
// would be worse than an error.

import { CommandError, syntaxError } from './command-error.js';

export interface SetOptions {
  /** nx: only if the key is absent; xx: only if it exists. */
  cond: 'nx' | 'xx' | undefined;
  /** Reply with the previous value (SET ... GET). */
  returnOld: boolean;
}

const EXPIRY = new Set(['ex', 'px', 'exat', 'pxat']);

/** Parses `args[from..]`; throws a CommandError for what Redis would reject. */
export function parseSetOptions(args: readonly Uint8Array[], from: number): SetOptions {
  const opts: SetOptions = { cond: undefined, returnOld: false };
  for (let i = from; i < args.length; i++) {
    const word = Buffer.from(args[i] as Uint8Array)
      .toString('latin1')
      .toLowerCase();
    if (word === 'nx' || word === 'xx') {
      if (opts.cond !== undefined && opts.cond !== word) throw syntaxError();
      opts.cond = word;
    } else if (word === 'get') {
      opts.returnOld = true;
    } else if (word === 'keepttl') {
      // No key has an expiry, so keeping it is what already happens.
    } else if (EXPIRY.has(word)) {
      throw new CommandError(
        `ERR SET ${word.toUpperCase()} (key expiry) is not supported yet; set the key without an expiry and delete it when it is no longer needed`,
      );
    } else {
      throw syntaxError();
    }
  }
  return opts;
}
