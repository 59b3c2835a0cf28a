// Text to long double as Redis reads INCRBYFLOAT's operands (its string2ld):
// glibc's strtold in the C locale, correctly rounded, but the whole text must
// be the number, with no leading space, and neither NaN nor a value strtold
// reports out of range (overflow to infinity, or a nonzero value rounded to
// zero). "inf" and "infinity" are accepted, as strtold reads them.

import { MAX_EXPONENT, MIN_EXPONENT, nearest, zero, type LongDouble } from './long-double.js';

/** Redis's MAX_LONG_DOUBLE_CHARS: text this long or longer is refused unread. */
export const LONG_DOUBLE_TEXT_LIMIT = 5 * 1024;

const DECIMAL = /^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/;
const HEX =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** Beyond these decimal exponents of its leading digit a value overflows, or rounds to zero. */
const DECIMAL_OVERFLOW = 4933n; // 10^4933 > LDBL_MAX ≈ 1.19e4932
const DECIMAL_UNDERFLOW = -4952n; // 10^-4952 < half the smallest subnormal ≈ 1.8e-4951

/** The long double `text` spells, or null where Redis answers "value is not a valid float". */
export function parseLongDouble(text: Uint8Array): LongDouble | null {
  if (text.length === 0 || text.length >= LONG_DOUBLE_TEXT_LIMIT) return null;
  // latin1 maps each byte to one character, so a NUL or any byte outside the grammar fails it.
  const s = Buffer.from(text.buffer, text.byteOffset, text.length).toString('latin1');
  let m = DECIMAL.exec(s);
  if (m !== null) return positional(m, 10);
  m = HEX.exec(s);
  if (m !== null) return positional(m, 16);
  m = INFINITY.exec(s);
  if (m !== null) return { finite: false, negative: m[1] === '-' };
  return null;
}

/**
 * The value of a DECIMAL or HEX match: its digits in base 10 or 16 with its
 * exponent (of 10, or of 2 after "p"), rounded; null when it overflows or a
 * nonzero value rounds to zero (strtold's ERANGE).
 */
function positional(m: RegExpExecArray, base: 10 | 16): LongDouble | null {
  const negative = m[1] === '-';
  const fraction = m[3] ?? m[4] ?? '';
  const digits = (m[2] ?? '') + fraction;
  const fractionDigits = fraction.length;
  const significant = digits.replace(/^0+/, '');
  if (significant === '') return zero(negative);
  const written = BigInt(m[5] ?? '0');
  const mantissa = BigInt(base === 10 ? significant : `0x${significant}`);
  if (base === 10) {
    const exponent = written - BigInt(fractionDigits);
    const lead = exponent + BigInt(significant.length - 1);
    if (lead >= DECIMAL_OVERFLOW || lead < DECIMAL_UNDERFLOW) return null;
    const e = Number(exponent);
    const r =
      e >= 0
        ? nearest(negative, mantissa * 10n ** BigInt(e), 1n)
        : nearest(negative, mantissa, 10n ** BigInt(-e));
    return inRange(r);
  }
  const exponent = written - 4n * BigInt(fractionDigits);
  // The value lies in [2^(lead-1), 2^lead).
  const lead = exponent + BigInt(mantissa.toString(2).length);
  if (lead > BigInt(MAX_EXPONENT + 64) || lead <= BigInt(MIN_EXPONENT - 1)) return null;
  const e = Number(exponent);
  return inRange(
    e >= 0
      ? nearest(negative, mantissa << BigInt(e), 1n)
      : nearest(negative, mantissa, 1n << BigInt(-e)),
  );
}

/** Null for what strtold flags ERANGE and Redis refuses: infinity from overflow, or zero from a nonzero value. */
function inRange(r: LongDouble): LongDouble | null {
  return !r.finite || r.mantissa === 0n ? null : r;
}
