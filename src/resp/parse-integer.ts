// RESP's decimal numbers (`*3`, `$5`, `:42`), read straight from bytes.

/** Parses a decimal integer from `bytes[from..]` (optional '-'), or null if it is not one. */
export function parseInteger(bytes: Uint8Array, from: number): number | null {
  let i = from;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
  }
  const digits = bytes.length - i;
  if (digits <= 0 || digits > 15) return null; // 15 digits always fit a safe integer
  let n = 0;
  for (; i < bytes.length; i++) {
    const d = (bytes[i] as number) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
