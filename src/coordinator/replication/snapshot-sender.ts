// A leader's snapshot for a follower that fell behind the log, read from the
// storage engine a chunk at a time as Raft asks for it
// (Ready.snapshotChunksWanted): the coordinator holds the snapshot's head
// (metadata and address book) and the chunks being read, never the image.
// Raft's snapshot data is the head's data part (u32 bookLength, book: see
// snapshot-format.ts) followed by the image the engine stored after the head;
// an offset in it is one or the other.

import type { SnapshotChunkWanted } from '../../raft/types.js';
import type { GroupId } from '../../storage/api.js';
import { StorageError } from '../../storage/errors.js';
import type { ReplicaStorage } from './raft-disk.js';
import { decodeStoredSnapshot } from './snapshot-format.js';

interface Source {
  index: number;
  /** The engine's stored head: every range read names it, so none mixes two snapshots. */
  head: Uint8Array;
  /** The bytes of Raft's snapshot data before the image. */
  dataHead: Uint8Array;
  /** Size of Raft's snapshot data: dataHead and image. */
  total: number;
}

/** What a chunk read answers: its bytes, or that the stored snapshot is no longer that one. */
export type ChunkRead = Uint8Array | 'moved';

export class SnapshotSender {
  private source: Source | null = null;
  /** Chunks being read (index:offset): Raft may ask again before the first read answers. */
  private readonly reading = new Set<string>();
  /** Bytes of the chunks read and not yet handed to Raft (the replication metrics' gauge). */
  heldBytes = 0;

  constructor(
    private readonly storage: ReplicaStorage,
    private readonly group: GroupId,
  ) {}

  /**
   * The stored snapshot, to offer to Raft: its index and the size of its
   * data; 'no-image' when the engine stores its head alone (a follower must
   * never be sent a snapshot without its state: take one with its image).
   */
  async load(): Promise<{ index: number; total: number } | 'no-image' | null> {
    const stored = await this.storage.raftStoredSnapshot(this.group);
    this.source = null;
    if (stored === null) return null;
    if (stored.imageBytes === 0) return 'no-image';
    const { metadata, data } = decodeStoredSnapshot(stored.head);
    const total = data.length + stored.imageBytes;
    this.source = { index: metadata.index, head: stored.head, dataHead: data, total };
    return { index: metadata.index, total };
  }

  /**
   * Reads a chunk Raft asked for; null when the same chunk is being read
   * already. 'moved' when the engine no longer stores that snapshot (a
   * compaction replaced it): its transfers start over with the new one.
   */
  async read(want: SnapshotChunkWanted): Promise<ChunkRead | null> {
    const src = this.source;
    if (src === null || src.index !== want.index) return 'moved';
    const key = `${want.index}:${want.offset}`;
    if (this.reading.has(key)) return null;
    this.reading.add(key);
    this.heldBytes += want.length;
    try {
      return await this.readRange(src, want.offset, want.length);
    } finally {
      this.reading.delete(key);
      this.heldBytes -= want.length;
    }
  }

  /** No snapshot is offered any more (this node installed one from a leader). */
  forget(): void {
    this.source = null;
  }

  private async readRange(src: Source, offset: number, length: number): Promise<ChunkRead> {
    const headBytes = src.dataHead.length;
    if (offset < headBytes)
      return src.dataHead.subarray(offset, Math.min(offset + length, headBytes));
    let bytes: Uint8Array;
    try {
      bytes = await this.storage.raftSnapshotImage(
        this.group,
        src.head,
        offset - headBytes,
        length,
      );
    } catch (err) {
      if (err instanceof StorageError && err.code === 'conflict') return this.moved(src);
      throw err;
    }
    // Nothing where the image should go on: it was dropped under the same head.
    return bytes.length === 0 ? this.moved(src) : bytes;
  }

  private moved(src: Source): 'moved' {
    if (this.source === src) this.source = null;
    return 'moved';
  }
}
