// Byte layouts of what the driver keeps in Raft snapshots.
//
// Snapshot data (opaque to Raft, sent to followers that fall behind):
//   u32 bookLength, address book (JSON), the storage engine's state image.
// Stored snapshot (the engine's raft snapshot record, opaque to the engine):
//   u32 metadataLength, encodeSnapshotMetadata bytes, snapshot data.
// The engine stores it as a head (all of it up to the image) followed by the
// image in pieces, or as the head alone (a compaction, an install: the state
// machine is the image until a follower needs one), and hands it back whole
// (raftLoadSnapshot) or its head only (raftLoad at a restart): images are
// never sent in one storage frame (raftSnapshotFromState, installImage).
// A stored snapshot at index 0 is the bootstrap record: the group's first
// membership and addresses, written once when an empty data dir starts.

import { decodeSnapshotMetadata, encodeSnapshotMetadata } from '../../raft/codec.js';
import type { Snapshot } from '../../raft/types.js';
import { bookFromJson, bookToJson, type AddressBook } from './address-book.js';

/** A snapshot's address book larger than this is refused: a follower holds it while the image streams by. */
export const MAX_BOOK_BYTES = 1024 * 1024;

export function encodeSnapshotData(book: AddressBook, image: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(bookToJson(book)));
  const out = Buffer.allocUnsafe(4 + json.length + image.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  out.set(image, 4 + json.length);
  return out;
}

/** The address book, the image, and `head`: the bytes before the image. */
export function decodeSnapshotData(data: Uint8Array): {
  book: AddressBook;
  image: Uint8Array;
  head: Uint8Array;
} {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 4) throw new Error('snapshot data is shorter than its header');
  const len = b.readUInt32BE(0);
  if (4 + len > b.length) throw new Error('snapshot data: address book runs past the end');
  const book = bookFromJson(JSON.parse(b.toString('utf8', 4, 4 + len)));
  return { book, image: b.subarray(4 + len), head: b.subarray(0, 4 + len) };
}

export function encodeStoredSnapshot(s: Snapshot): Uint8Array {
  const meta = encodeSnapshotMetadata(s.metadata);
  const out = Buffer.allocUnsafe(4 + meta.length + s.data.length);
  out.writeUInt32BE(meta.length, 0);
  out.set(meta, 4);
  out.set(s.data, 4 + meta.length);
  return out;
}

export function decodeStoredSnapshot(bytes: Uint8Array): Snapshot {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4) throw new Error('stored snapshot is shorter than its header');
  const len = b.readUInt32BE(0);
  if (4 + len > b.length) throw new Error('stored snapshot: metadata runs past the end');
  return {
    metadata: decodeSnapshotMetadata(b.subarray(4, 4 + len)),
    data: b.subarray(4 + len),
  };
}
