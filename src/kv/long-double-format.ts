// A long double as INCRBYFLOAT stores and answers it (Redis's ld2string in
// its human mode): printf's "%.17Lf", the exact binary value rounded to 17
// fraction digits (ties to even, as glibc rounds), then the trailing zeros
// and a bare trailing '.' dropped, and "-0" written "0". No exponent form,
// so 1e300 has all its 301 digits.

import { roundedToEven, scaled, type LongDouble } from './long-double.js';

const FRACTION_DIGITS = 17;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);

/** The text of a finite long double (INCRBYFLOAT refuses infinite sums before printing). */
export function formatLongDouble(v: LongDouble & { finite: true }): string {
  // The value in units of 10^-17, rounded to nearest, ties to even.
  const units =
    v.exponent >= 0
      ? (v.mantissa << BigInt(v.exponent)) * SCALE
      : roundedToEven(scaled(v.mantissa * SCALE, 1n, -v.exponent));
  const digits = units.toString().padStart(FRACTION_DIGITS + 1, '0');
  const whole = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, '');
  const text = (v.negative ? '-' : '') + whole + (fraction === '' ? '' : `.${fraction}`);
  return text === '-0' ? '0' : text;
}
