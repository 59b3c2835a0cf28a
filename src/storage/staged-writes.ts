// One database's staged writes, found by their key's bytes: an
// open-addressing hash table over records packed into large buffers.
//
// Staged writes live until their commit, about a second. Held in a Map keyed
// by the key's latin1 string, each write was a string, an object and two
// Buffer views, all alive that long: V8's young-generation collector copied
// each of them twice before promoting it, and every lookup made and hashed a
// new string (docs/performance-log.md, lever 16). Here a write is bytes in a
// chunk and numbers in typed arrays; nothing per write is left on the heap.
//
// A write of a key already staged here overwrites its record in place when
// the new value fits the room the record has, else it gets a new record and
// the old one is left unused until the table is dropped. So values handed
// out are copies (`value`), never views a later write could change.

/**
 * Chunks for small records start at FIRST_CHUNK_BYTES and double up to
 * CHUNK_BYTES, so a commit of a few writes holds a few kB. A record over a
 * quarter of CHUNK_BYTES gets a chunk of its own.
 */
const FIRST_CHUNK_BYTES = 16 * 1024;
const CHUNK_BYTES = 1 << 20;
const FIRST_RECORDS = 64;

/** FNV-1a over the key's bytes. */
export function keyHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ (key[i] as number), 0x01000193);
  return h | 0;
}

export class StagedWrites {
  private readonly chunks: Buffer[] = [];
  /** The chunk small records go to (its number in `chunks`; -1: none yet), and the bytes used in it. */
  private current = -1;
  private tail = 0;
  /** The size of the next chunk for small records. */
  private nextChunkBytes = FIRST_CHUNK_BYTES;
  /** Bytes of keys and value room in all records, unused ones included: what the table holds. */
  private usedBytes = 0;
  /** Records made (each key's current one and any left unused). */
  private records = 0;
  private liveCount = 0;
  private longestKeyBytes = 0;
  // Per record: where its key is (chunk, offset), the key's length, the
  // value's length (-1: a delete) and room, and its key's hash.
  private recChunk = new Int32Array(FIRST_RECORDS);
  private recOffset = new Int32Array(FIRST_RECORDS);
  private recKeyLength = new Int32Array(FIRST_RECORDS);
  private recValueLength = new Int32Array(FIRST_RECORDS);
  private recRoom = new Int32Array(FIRST_RECORDS);
  private recHash = new Int32Array(FIRST_RECORDS);
  /** Current (not replaced) records; a replaced one stays in its chunk, unused. */
  private recLive = new Uint8Array(FIRST_RECORDS);
  /** Record number + 1 per slot; 0: empty. Never more than half full. */
  private slots = new Int32Array(FIRST_RECORDS * 2);

  /** Keys staged here (the latest write of each). */
  get size(): number {
    return this.liveCount;
  }

  /** Bytes held for the staged keys and values. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** The length of the longest key staged here (0: none). */
  get longestKey(): number {
    return this.longestKeyBytes;
  }

  /** The record staged for `key` (`hash` = keyHash(key)), or -1. */
  find(key: Uint8Array, hash: number): number {
    const slot = this.slotOf(key, hash);
    return slot < 0 ? -1 : (this.slots[slot] as number) - 1;
  }

  /** Whether record `rec` is a delete. */
  deletes(rec: number): boolean {
    return (this.recValueLength[rec] as number) < 0;
  }

  /** A copy of record `rec`'s value, or null for a delete. */
  value(rec: number): Buffer | null {
    const length = this.recValueLength[rec] as number;
    if (length < 0) return null;
    const start = (this.recOffset[rec] as number) + (this.recKeyLength[rec] as number);
    return Buffer.from(this.chunks[this.recChunk[rec] as number]!.subarray(start, start + length));
  }

  /** Stages `value` (null: a delete) for `key`. */
  set(key: Uint8Array, hash: number, value: Uint8Array | null): void {
    const slot = this.slotOf(key, hash);
    const length = value === null ? -1 : value.length;
    if (slot >= 0) {
      const rec = (this.slots[slot] as number) - 1;
      if (length <= (this.recRoom[rec] as number)) {
        this.writeValue(rec, value);
      } else {
        this.recLive[rec] = 0;
        this.slots[slot] = this.add(key, hash, value) + 1;
      }
      return;
    }
    if ((this.liveCount + 1) * 2 > this.slots.length) this.growSlots();
    const rec = this.add(key, hash, value);
    this.liveCount++;
    this.slots[this.emptySlot(hash)] = rec + 1;
  }

  /** Calls `fn` with every staged key's latest write (views into the table: do not keep them past the table). */
  forEach(fn: (key: Buffer, value: Buffer | null) => void): void {
    for (let rec = 0; rec < this.records; rec++) {
      if (this.recLive[rec] === 0) continue;
      const chunk = this.chunks[this.recChunk[rec] as number] as Buffer;
      const start = this.recOffset[rec] as number;
      const keyEnd = start + (this.recKeyLength[rec] as number);
      const length = this.recValueLength[rec] as number;
      fn(
        chunk.subarray(start, keyEnd),
        length < 0 ? null : chunk.subarray(keyEnd, keyEnd + length),
      );
    }
  }

  private slotOf(key: Uint8Array, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      const rec = entry - 1;
      if (this.recHash[rec] === hash && this.keyIs(rec, key)) return slot;
    }
  }

  private emptySlot(hash: number): number {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    return slot;
  }

  private keyIs(rec: number, key: Uint8Array): boolean {
    const length = this.recKeyLength[rec] as number;
    if (length !== key.length) return false;
    const chunk = this.chunks[this.recChunk[rec] as number] as Buffer;
    const start = this.recOffset[rec] as number;
    for (let i = 0; i < length; i++) if (chunk[start + i] !== key[i]) return false;
    return true;
  }

  /** A new record holding `key` and `value`, with room for exactly that value. */
  private add(key: Uint8Array, hash: number, value: Uint8Array | null): number {
    const room = value === null ? 0 : value.length;
    const need = key.length + room;
    let chunk: number;
    let at = 0;
    if (need > CHUNK_BYTES / 4) {
      chunk = this.chunks.push(Buffer.allocUnsafeSlow(need)) - 1;
    } else {
      if (this.current < 0 || this.tail + need > this.chunks[this.current]!.length) {
        const size = Math.max(need, this.nextChunkBytes);
        this.nextChunkBytes = Math.min(CHUNK_BYTES, this.nextChunkBytes * 2);
        this.current = this.chunks.push(Buffer.allocUnsafeSlow(size)) - 1;
        this.tail = 0;
      }
      chunk = this.current;
      at = this.tail;
      this.tail += need;
    }
    if (this.records === this.recChunk.length) this.growRecords();
    if (key.length > this.longestKeyBytes) this.longestKeyBytes = key.length;
    const rec = this.records++;
    this.recChunk[rec] = chunk;
    this.recOffset[rec] = at;
    this.recKeyLength[rec] = key.length;
    this.recRoom[rec] = room;
    this.recHash[rec] = hash;
    this.recLive[rec] = 1;
    this.chunks[chunk]!.set(key, at);
    this.usedBytes += need;
    this.writeValue(rec, value);
    return rec;
  }

  private writeValue(rec: number, value: Uint8Array | null): void {
    this.recValueLength[rec] = value === null ? -1 : value.length;
    if (value === null || value.length === 0) return;
    const at = (this.recOffset[rec] as number) + (this.recKeyLength[rec] as number);
    this.chunks[this.recChunk[rec] as number]!.set(value, at);
  }

  private growRecords(): void {
    const n = this.recChunk.length * 2;
    this.recChunk = grown(this.recChunk, n);
    this.recOffset = grown(this.recOffset, n);
    this.recKeyLength = grown(this.recKeyLength, n);
    this.recValueLength = grown(this.recValueLength, n);
    this.recRoom = grown(this.recRoom, n);
    this.recHash = grown(this.recHash, n);
    const live = new Uint8Array(n);
    live.set(this.recLive);
    this.recLive = live;
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let rec = 0; rec < this.records; rec++) {
      if (this.recLive[rec] === 1)
        this.slots[this.emptySlot(this.recHash[rec] as number)] = rec + 1;
    }
  }
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
