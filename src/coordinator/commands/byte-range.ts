// GETRANGE's reading of start and end, as Redis's getrangeCommand does it:
// both inclusive, negative counts from the end (-1 is the last byte), then
// clamped to the value. bigint, since either may be any 64-bit integer.

/** The byte offsets [from, to) of `length` bytes that `start`..`end` name; equal when none. */
export function byteRange(length: number, start: bigint, end: bigint): [from: number, to: number] {
  const len = BigInt(length);
  // Both from the end, and start after end: nothing (Redis checks this first).
  if (start < 0n && end < 0n && start > end) return [0, 0];
  let s = start < 0n ? len + start : start;
  let e = end < 0n ? len + end : end;
  if (s < 0n) s = 0n;
  if (e < 0n) e = 0n;
  if (e >= len) e = len - 1n;
  if (s > e || len === 0n) return [0, 0];
  return [Number(s), Number(e) + 1];
}
