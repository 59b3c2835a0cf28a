// The x87 80-bit extended format, C's `long double` on x86-64 Linux, in which
// Redis's INCRBYFLOAT reads, adds and prints: a 64-bit significand, binary
// exponents down to subnormals of 2^-16445, round-half-even. A JS double has
// 53 bits and would round differently, so values are kept exact as bigints
// and rounded here the way the hardware rounds.

/** ±mantissa × 2^exponent, mantissa < 2^64 (zero keeps its sign), or ±infinity. */
export type LongDouble =
  | { finite: true; negative: boolean; mantissa: bigint; exponent: number }
  | { finite: false; negative: boolean };

const MANTISSA_BITS = 64;
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
/** Exponent of the smallest step: subnormals and the lowest normal binade are multiples of 2^-16445. */
export const MIN_EXPONENT = -16445;
/** Exponent of the largest finite value, (2^64 - 1) × 2^16320. */
export const MAX_EXPONENT = 16320;

export function zero(negative: boolean): LongDouble {
  return { finite: true, negative, mantissa: 0n, exponent: 0 };
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** floor(num / den / 2^exponent) and whether the rest is below, at or above half a step. */
export function scaled(
  num: bigint,
  den: bigint,
  exponent: number,
): { q: bigint; rest: -1 | 0 | 1 } {
  const n = exponent < 0 ? num << BigInt(-exponent) : num;
  const d = exponent > 0 ? den << BigInt(exponent) : den;
  const q = n / d;
  const twice = (n - q * d) * 2n;
  return { q, rest: twice < d ? -1 : twice === d ? 0 : 1 };
}

/** A `scaled` quotient rounded to nearest, ties to even: as the x87 rounds, and glibc's printf. */
export function roundedToEven(step: { q: bigint; rest: -1 | 0 | 1 }): bigint {
  return step.rest > 0 || (step.rest === 0 && (step.q & 1n) === 1n) ? step.q + 1n : step.q;
}

/**
 * The long double nearest to ±num/den (num ≥ 0, den > 0), ties to even, as
 * strtold and the x87 adder round: 0 below half the smallest subnormal,
 * infinity past the largest finite value.
 */
export function nearest(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return zero(negative);
  // num/den lies in (2^(b-1), 2^(b+1)) for b below: the first guess is at
  // most one binade low.
  let exponent = bitLength(num) - bitLength(den) - MANTISSA_BITS;
  let step = scaled(num, den, Math.max(exponent, MIN_EXPONENT));
  if (step.q >= TWO_64) step = scaled(num, den, Math.max(++exponent, MIN_EXPONENT));
  exponent = Math.max(exponent, MIN_EXPONENT);
  let mantissa = roundedToEven(step);
  if (mantissa === TWO_64) {
    mantissa = TWO_63;
    exponent++;
  }
  if (exponent > MAX_EXPONENT) return { finite: false, negative };
  return { finite: true, negative, mantissa, exponent };
}

/**
 * a + b rounded once, as the x87 adds; null when the sum is NaN or infinite
 * (an infinite operand, or a finite sum past the largest value).
 */
export function add(a: LongDouble, b: LongDouble): LongDouble | null {
  if (!a.finite || !b.finite) return null;
  const low = Math.min(a.exponent, b.exponent);
  const signed = (x: typeof a): bigint =>
    (x.negative ? -x.mantissa : x.mantissa) << BigInt(x.exponent - low);
  const sum = signed(a) + signed(b);
  // An exact zero is +0 in round-to-nearest, unless both were -0.
  if (sum === 0n) return zero(a.negative && b.negative);
  const magnitude = sum < 0n ? -sum : sum;
  const r =
    low < 0
      ? nearest(sum < 0n, magnitude, 1n << BigInt(-low))
      : nearest(sum < 0n, magnitude << BigInt(low), 1n);
  return r.finite ? r : null;
}
