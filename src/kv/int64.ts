// Signed 64-bit integers in decimal, read and written as Redis does (its
// string2ll): INCR's stored value and INCRBY's argument. Exact: bigint, not
// number, so every value from -2^63 to 2^63-1 is itself.

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Longest decimal form of a 64-bit integer: `-9223372036854775808`. */
export const INT64_TEXT_MAX_BYTES = 20;

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;

/**
 * The integer `b` spells in canonical base 10, or null: an optional '-',
 * then digits with no leading zero ("0" alone is zero), nothing else (no
 * '+', no spaces, no "-0"), in range. What Redis accepts, so the same
 * values are "not an integer" here and there.
 */
export function parseInt64(b: Uint8Array): bigint | null {
  const n = b.byteLength;
  if (n === 0 || n > INT64_TEXT_MAX_BYTES) return null;
  if (n === 1 && b[0] === ZERO) return 0n;
  const from = b[0] === MINUS ? 1 : 0;
  const first = b[from];
  if (first === undefined || first <= ZERO || first > NINE) return null;
  for (let i = from + 1; i < n; i++) {
    const d = b[i] as number;
    if (d < ZERO || d > NINE) return null;
  }
  const v = BigInt(Buffer.from(b.buffer, b.byteOffset, n).toString('latin1'));
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** `v` in decimal, as INCR stores it. */
export function formatInt64(v: bigint): Uint8Array {
  return Buffer.from(v.toString(), 'latin1');
}
