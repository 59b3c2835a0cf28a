// The key space every system is driven with: `key:000000` … `key:099999`
// (uniform choice among them) and one fixed value, made once so the request
// loop allocates nothing for them.

export interface KeySpace {
  readonly keys: readonly Buffer[];
  readonly value: Buffer;
}

export function makeKeySpace(count: number, valueSize: number): KeySpace {
  const width = String(Math.max(0, count - 1)).length;
  const keys = Array.from({ length: count }, (_, i) =>
    Buffer.from(`key:${String(i).padStart(width, '0')}`),
  );
  const value = Buffer.alloc(valueSize);
  for (let i = 0; i < valueSize; i++) value[i] = 97 + (i % 26);
  return { keys, value };
}

/** A key index drawn uniformly from [0, count). */
export function randomKey(count: number): number {
  return Math.floor(Math.random() * count);
}
