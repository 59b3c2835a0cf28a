// Where the LMDB backend puts each record. One LMDB environment (one file,
// one transaction spans everything) holds three sub-databases whose every key
// starts with the group id (u32, big-endian) so groups coexist and a group's
// records are contiguous, and a fourth for the environment's layout version:
//   data  group key                  → value          (the state machine)
//   meta  group 0x01                 → appliedIndex:u64
//         group 0x02                 → (retired: a key count; deleted by the upgrade to layout 3)
//         group 0x03 clientId:utf8   → seq:u64 lastIndex:u64 result (a client session)
//   raft  group 0x01                 → hard state (opaque)
//         group 0x02                 → snapshot (opaque)
//         group 0x03 index:u64       → log entry (opaque)
//         group 0x04 offset:u64      → the piece of the snapshot's image at that byte offset
//                                      (layout 3 and before: seq:u32, dropped by the upgrade to 4)
//         group 0x05 seq:u32         → piece seq of an image being installed (staging)
//   layout 'version'                 → version:u32 (LAYOUT_VERSION; no record: 1)

export const GROUP_PREFIX_BYTES = 4;

export const DB_DATA = 'data';
export const DB_META = 'meta';
export const DB_RAFT = 'raft';
export const DB_LAYOUT = 'layout';

/**
 * The layout version this build writes (lmdb-upgrade.ts): 1, no record, is
 * every build before the record; 3 stores no key count; 4 keys a snapshot
 * image's pieces by byte offset.
 */
export const LAYOUT_VERSION = 4;

export const META_APPLIED_INDEX = 0x01;
export const META_KEY_COUNT = 0x02;
export const META_SESSION = 0x03;
export const RAFT_HARD_STATE = 0x01;
export const RAFT_SNAPSHOT = 0x02;
export const RAFT_ENTRY = 0x03;
export const RAFT_SNAPSHOT_CHUNK = 0x04;
export const RAFT_IMAGE_STAGE = 0x05;

const TWO_32 = 0x100000000;

/** Makes a buffer of n bytes for a key or record (default: a new one). */
export type Alloc = (n: number) => Buffer;

export const allocNew: Alloc = (n) => Buffer.allocUnsafe(n);

export function dataKey(group: number, key: Uint8Array, alloc: Alloc = allocNew): Buffer {
  const k = alloc(GROUP_PREFIX_BYTES + key.byteLength);
  k.writeUInt32BE(group, 0);
  k.set(key, GROUP_PREFIX_BYTES);
  return k;
}

/** The first key of the group after `group` in the data db, or null for the last group id. */
export function dataEnd(group: number): Buffer | null {
  if (group >= 0xffffffff) return null;
  const k = Buffer.allocUnsafe(GROUP_PREFIX_BYTES);
  k.writeUInt32BE(group + 1, 0);
  return k;
}

/** group:u32 tag:u8, for meta and raft records without a suffix (and as range bounds). */
export function taggedKey(group: number, tag: number): Buffer {
  const k = Buffer.allocUnsafe(GROUP_PREFIX_BYTES + 1);
  k.writeUInt32BE(group, 0);
  k[GROUP_PREFIX_BYTES] = tag;
  return k;
}

export function sessionKey(group: number, clientId: string, alloc: Alloc = allocNew): Buffer {
  // The id is encoded straight into the key (no buffer of its own: one per applied put).
  const idBytes = Buffer.byteLength(clientId, 'utf8');
  const k = alloc(GROUP_PREFIX_BYTES + 1 + idBytes);
  k.writeUInt32BE(group, 0);
  k[GROUP_PREFIX_BYTES] = META_SESSION;
  k.write(clientId, GROUP_PREFIX_BYTES + 1, idBytes, 'utf8');
  return k;
}

export function sessionClientId(key: Buffer): string {
  return key.toString('utf8', GROUP_PREFIX_BYTES + 1);
}

/** group:u32 tag:u8 n:u64. */
function u64Key(group: number, tag: number, n: number): Buffer {
  const k = Buffer.allocUnsafe(GROUP_PREFIX_BYTES + 1 + 8);
  k.writeUInt32BE(group, 0);
  k[GROUP_PREFIX_BYTES] = tag;
  writeU64(k, GROUP_PREFIX_BYTES + 1, n);
  return k;
}

export function entryKey(group: number, index: number): Buffer {
  return u64Key(group, RAFT_ENTRY, index);
}

/** group:u32 tag:u8 seq:u32: a numbered piece (snapshot image, staged image). */
export function pieceKey(group: number, tag: number, seq: number): Buffer {
  const k = Buffer.allocUnsafe(GROUP_PREFIX_BYTES + 1 + 4);
  k.writeUInt32BE(group, 0);
  k[GROUP_PREFIX_BYTES] = tag;
  k.writeUInt32BE(seq, GROUP_PREFIX_BYTES + 1);
  return k;
}

/** group:u32 0x04 offset:u64: the piece of the stored snapshot's image at `offset`. */
export function imagePieceKey(group: number, offset: number): Buffer {
  return u64Key(group, RAFT_SNAPSHOT_CHUNK, offset);
}

export function entryIndex(key: Buffer): number {
  return readU64(key, GROUP_PREFIX_BYTES + 1);
}

export function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO_32), off);
  buf.writeUInt32BE(n % TWO_32, off + 4);
}

export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off) * TWO_32 + buf.readUInt32BE(off + 4);
}

export function u64Value(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, 0, n);
  return b;
}
