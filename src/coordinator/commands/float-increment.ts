// INCRBYFLOAT's arithmetic, as redis-server 7.0 does it on x86-64: the stored
// value (absent: 0) and the increment read as long doubles, added in long
// double, the sum printed by ld2string's human form. Pure: the command
// (incrbyfloat-command.ts) feeds it the value it read and stores what it gives.

import { formatLongDouble } from '../../kv/long-double-format.js';
import { parseLongDouble } from '../../kv/long-double-parse.js';
import { add, zero, type LongDouble } from '../../kv/long-double.js';
import { CommandError } from '../command-error.js';

export const NOT_A_FLOAT = 'ERR value is not a valid float';
export const NAN_OR_INFINITY = 'ERR increment would produce NaN or Infinity';

/** The text `stored` + `by` stores, or the CommandError Redis answers (the stored value is read first). */
export function incrementFloat(stored: Uint8Array | null, by: Uint8Array): Buffer {
  const value = stored === null ? zero(false) : operand(stored);
  const sum = add(value, operand(by));
  if (sum === null || !sum.finite) throw new CommandError(NAN_OR_INFINITY);
  return Buffer.from(formatLongDouble(sum), 'latin1');
}

function operand(text: Uint8Array): LongDouble {
  const v = parseLongDouble(text);
  if (v === null) throw new CommandError(NOT_A_FLOAT);
  return v;
}
