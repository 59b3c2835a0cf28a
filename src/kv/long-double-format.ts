// A long double as INCRBYFLOAT stores and answers it (Redis's ld2string in
// its human mode): printf's "%.17Lf", the exact binary value rounded to 17
// fraction digits (ties to even, as glibc rounds), then the trailing zeros
// and a bare trailing '.' dropped, and "-0" written "0". No exponent form,
// so 1e300 has all its 301 digits.

import type { LongDouble } from './long-double.js';

const FRACTION_DIGITS = 17;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);

/** The text of a finite long double (INCRBYFLOAT refuses infinite sums before printing). */
export function formatLongDouble(v: LongDouble & { finite: true }): string {
  // The value in units of 10^-17, rounded to nearest, ties to even.
  let units: bigint;
  if (v.exponent >= 0) {
    units = (v.mantissa << BigInt(v.exponent)) * SCALE;
  } else {
    const shift = BigInt(-v.exponent);
    const exact = v.mantissa * SCALE;
    units = exact >> shift;
    const twice = (exact - (units << shift)) * 2n;
    const step = 1n << shift;
    if (twice > step || (twice === step && (units & 1n) === 1n)) units++;
  }
  const digits = units.toString().padStart(FRACTION_DIGITS + 1, '0');
  const whole = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, '');
  const text = (v.negative ? '-' : '') + whole + (fraction === '' ? '' : `.${fraction}`);
  return text === '-0' ? '0' : text;
}
