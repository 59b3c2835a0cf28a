// One record of the Raft write-ahead log (raft-wal.ts), all integers big-endian:
//
//   length:u32   crc:u32   type:u8   payload
//
// `length` counts type + payload (so it is never 0: a zero length is the
// preallocated, never written rest of a segment); `crc` is the CRC-32C
// (crc32c.ts) of type + payload. Payloads, u64 as in the storage protocol
// (hi:u32 lo:u32):
//
//   header      magic:u32 ('DDBW') version:u16 group:u32 seq:u64 — first in every segment
//   entries     firstIndex:u64 count:u32 (len:u32 data)* — drops every entry >= firstIndex first
//   hard state  the coordinator's opaque bytes (the last one wins)
//   reset       nextIndex:u64 — the log is empty; the next entry is nextIndex
//   compact     throughIndex:u64 — entries <= throughIndex are gone
//   truncate    fromIndex:u64 — entries >= fromIndex are gone

import { crc32c } from './crc32c.js';
import { readU64, writeU64 } from './lmdb-layout.js';
import type { RaftLogEntry } from './api.js';
import type { PackedEntries } from './backend.js';

export const RECORD_HEADER_BYTES = 9;
export const WAL_MAGIC = 0x44444257; // 'DDBW'
export const WAL_VERSION = 1;

export const RecordType = {
  header: 1,
  entries: 2,
  hardState: 3,
  reset: 4,
  compact: 5,
  truncate: 6,
} as const;

export type WalRecord =
  | { type: 'header'; group: number; seq: number }
  | { type: 'entries'; entries: RaftLogEntry[]; firstIndex: number }
  | { type: 'hard-state'; hardState: Buffer }
  | { type: 'reset'; nextIndex: number }
  | { type: 'compact'; throughIndex: number }
  | { type: 'truncate'; fromIndex: number };

/** A record that does not parse or whose CRC does not match: where and why. */
export class BadRecordError extends Error {
  override name = 'BadRecordError';
}

function frame(type: number, payloadBytes: number): Buffer {
  const b = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadBytes);
  b.writeUInt32BE(1 + payloadBytes, 0);
  b[8] = type;
  return b;
}

function seal(b: Buffer): Buffer {
  b.writeUInt32BE(crc32c(b, 8), 4);
  return b;
}

export function headerRecord(group: number, seq: number): Buffer {
  const b = frame(RecordType.header, 18);
  b.writeUInt32BE(WAL_MAGIC, 9);
  b.writeUInt16BE(WAL_VERSION, 13);
  b.writeUInt32BE(group, 15);
  writeU64(b, 19, seq);
  return seal(b);
}

export function entriesRecord(entries: readonly RaftLogEntry[]): Buffer {
  let size = 12;
  for (const e of entries) size += 4 + e.data.byteLength;
  const b = frame(RecordType.entries, size);
  writeU64(b, 9, (entries[0] as RaftLogEntry).index);
  b.writeUInt32BE(entries.length, 17);
  let off = 21;
  for (const e of entries) {
    const n = e.data.byteLength;
    b.writeUInt32BE(n, off);
    b.set(e.data, off + 4);
    off += 4 + n;
  }
  return seal(b);
}

/** The same record from entries already packed as len:u32 data each (one copy). */
export function packedEntriesRecord(entries: PackedEntries): Buffer {
  const b = frame(RecordType.entries, 12 + entries.bytes.byteLength);
  writeU64(b, 9, entries.first);
  b.writeUInt32BE(entries.count, 17);
  b.set(entries.bytes, 21);
  return seal(b);
}

export function hardStateRecord(hardState: Uint8Array): Buffer {
  const b = frame(RecordType.hardState, hardState.byteLength);
  b.set(hardState, 9);
  return seal(b);
}

function indexRecord(type: number, index: number): Buffer {
  const b = frame(type, 8);
  writeU64(b, 9, index);
  return seal(b);
}

export const resetRecord = (nextIndex: number): Buffer => indexRecord(RecordType.reset, nextIndex);
export const compactRecord = (through: number): Buffer => indexRecord(RecordType.compact, through);
export const truncateRecord = (from: number): Buffer => indexRecord(RecordType.truncate, from);

/**
 * Reads the record at `off`: null at the end of the written part (fewer
 * than a header's bytes left, or a zero length); throws BadRecordError for a
 * record that is cut short, fails its CRC, or does not parse.
 */
export function readRecord(buf: Buffer, off: number): { record: WalRecord; next: number } | null {
  if (buf.length - off < RECORD_HEADER_BYTES) {
    if (buf.subarray(off).some((x) => x !== 0))
      throw new BadRecordError('a record header is cut short');
    return null;
  }
  const length = buf.readUInt32BE(off);
  if (length === 0) return null;
  const end = off + 8 + length;
  if (end > buf.length) {
    throw new BadRecordError(`a record of ${length} bytes runs past the end of the file`);
  }
  if (crc32c(buf, off + 8, end) !== buf.readUInt32BE(off + 4)) {
    throw new BadRecordError('a record fails its CRC-32C check');
  }
  try {
    return { record: parse(buf[off + 8] as number, buf.subarray(off + 9, end)), next: end };
  } catch (err) {
    if (err instanceof BadRecordError) throw err;
    throw new BadRecordError(`a record does not parse: ${(err as Error).message}`);
  }
}

/**
 * The offset of the first well-formed record (non-zero length inside the
 * file, known type, CRC-32C matching) that starts at or after `from` and
 * ends after `beyond`; -1 if there is none. Replay (raft-wal.ts) uses it to
 * tell a torn last write from acknowledged records behind a corrupt one.
 *
 * Every offset is tried, since a corrupt length hides where the next record
 * starts. It stays cheap: the zeros at the end are skipped first, and a
 * candidate needs a length that fits the file and a known type byte, and
 * for the fixed-size types their exact length, before its CRC is computed:
 * on random bytes fewer than one offset in 30,000 gets that far (measured:
 * 0.4 s for 1 MiB of random bytes in a 16 MiB segment, 3 s if all 16 MiB
 * are random). It runs once, at open, and only after a crash.
 */
export function findRecordReaching(buf: Buffer, from: number, beyond: number): number {
  let end = buf.length;
  while (end > from && buf[end - 1] === 0) end--;
  // A record's type byte is non-zero, so it lies before `end`.
  for (let p = from; p + RECORD_HEADER_BYTES <= end; p++) {
    const length = buf.readUInt32BE(p);
    const stop = p + 8 + length;
    if (length === 0 || stop > buf.length || stop <= beyond) continue;
    if (!plausibleLength(buf[p + 8] as number, length)) continue;
    if (crc32c(buf, p + 8, stop) !== buf.readUInt32BE(p + 4)) continue;
    try {
      parse(buf[p + 8] as number, buf.subarray(p + 9, stop));
      return p;
    } catch {
      // CRC matched by chance on bytes that do not parse: not a record.
    }
  }
  return -1;
}

function plausibleLength(type: number, length: number): boolean {
  switch (type) {
    case RecordType.header:
      return length === 19;
    case RecordType.entries:
      return length >= 17;
    case RecordType.hardState:
      return true;
    case RecordType.reset:
    case RecordType.compact:
    case RecordType.truncate:
      return length === 9;
    default:
      return false;
  }
}

function parse(type: number, p: Buffer): WalRecord {
  switch (type) {
    case RecordType.header: {
      if (p.readUInt32BE(0) !== WAL_MAGIC)
        throw new BadRecordError('the header lacks the DDBW magic');
      const version = p.readUInt16BE(4);
      if (version !== WAL_VERSION) {
        throw new BadRecordError(`log format version ${version} is not ${WAL_VERSION}`);
      }
      return { type: 'header', group: p.readUInt32BE(6), seq: readU64(p, 10) };
    }
    case RecordType.entries: {
      const firstIndex = readU64(p, 0);
      const count = p.readUInt32BE(8);
      const entries: RaftLogEntry[] = [];
      let off = 12;
      for (let i = 0; i < count; i++) {
        const n = p.readUInt32BE(off);
        if (off + 4 + n > p.length) throw new BadRecordError('an entry runs past its record');
        entries.push({ index: firstIndex + i, data: p.subarray(off + 4, off + 4 + n) });
        off += 4 + n;
      }
      if (off !== p.length || count === 0)
        throw new BadRecordError('an entries record is malformed');
      return { type: 'entries', entries, firstIndex };
    }
    case RecordType.hardState:
      return { type: 'hard-state', hardState: p };
    case RecordType.reset:
      return { type: 'reset', nextIndex: readU64(p, 0) };
    case RecordType.compact:
      return { type: 'compact', throughIndex: readU64(p, 0) };
    case RecordType.truncate:
      return { type: 'truncate', fromIndex: readU64(p, 0) };
    default:
      throw new BadRecordError(`unknown record type ${type}`);
  }
}
