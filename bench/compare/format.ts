// How numbers are shown in the table and the target check.

export function formatOps(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds with about three significant digits. */
export function formatMs(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  if (n >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

/** A ratio as `2.35×`, or `n/a` when there was nothing to divide by. */
export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(2)}×`;
}
