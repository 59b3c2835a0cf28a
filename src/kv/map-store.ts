// In-memory KvStore for the simulator and tests.

import type { Bytes, KvStore } from './types.js';

/** Bytes → Map key. latin1 maps each byte to one char, so string order is byte order. */
function keyOf(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * A KvStore backed by a Map. put() copies key and value, so callers may pass
 * views into buffers they reuse (decoded proposals are such views).
 */
export class MapKvStore implements KvStore {
  private readonly map = new Map<string, Bytes>();

  get(key: Bytes): Bytes | undefined {
    return this.map.get(keyOf(key));
  }
  put(key: Bytes, value: Bytes): void {
    this.map.set(keyOf(key), value.slice());
  }
  delete(key: Bytes): boolean {
    return this.map.delete(keyOf(key));
  }
  get size(): number {
    return this.map.size;
  }
  /** All entries in key byte order: a canonical form for comparing replicas. */
  sortedEntries(): Array<[Bytes, Bytes]> {
    return [...this.map.keys()]
      .sort()
      .map((k) => [new Uint8Array(Buffer.from(k, 'latin1')), this.map.get(k) as Bytes]);
  }
}
