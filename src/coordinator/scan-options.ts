// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] — the options after the cursor.

import { CommandError, notAnInteger, syntaxError } from './command-error.js';

export interface ScanOptions {
  match: Buffer | null;
  /** How many keys to examine in this call (a hint, as in Redis). */
  count: number;
  /** Only keys of this type; every distdb key is a `string`. */
  type: string | null;
}

const DEFAULT_SCAN_COUNT = 10;

export function parseScanOptions(args: readonly Buffer[], from: number): ScanOptions {
  const opts: ScanOptions = { match: null, count: DEFAULT_SCAN_COUNT, type: null };
  for (let i = from; i < args.length; i += 2) {
    const word = (args[i] as Buffer).toString('latin1').toLowerCase();
    const value = args[i + 1];
    if (value === undefined) throw syntaxError();
    if (word === 'match') {
      opts.match = value;
    } else if (word === 'count') {
      const text = value.toString('latin1');
      if (!/^-?\d{1,15}$/.test(text)) throw notAnInteger();
      const n = Number(text);
      if (n < 1) throw syntaxError();
      opts.count = n;
    } else if (word === 'type') {
      opts.type = value.toString('utf8').toLowerCase();
    } else {
      throw syntaxError();
    }
  }
  return opts;
}

/** Parses the cursor argument: "0" starts a scan; any other must be a cursor this node handed out. */
export function parseCursor(arg: Buffer): string {
  const text = arg.toString('latin1');
  if (!/^\d{1,20}$/.test(text)) {
    throw new CommandError(
      'ERR invalid cursor; use 0 to start a scan, then the cursor each reply returns',
    );
  }
  return text.replace(/^0+(?=\d)/, '');
}
