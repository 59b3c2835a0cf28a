import type { NodeId, Snapshot, SnapshotChunk } from './types.js';

/** Largest snapshot a follower will buffer while reassembling (guards a corrupt `total`). */
export const MAX_SNAPSHOT_BYTES = 2 ** 31 - 1;

export interface ChunkResult {
  /** The byte offset the follower needs next. */
  next: number;
  /** The chunk was malformed. */
  reject: boolean;
  /** Set when the last chunk arrived. */
  complete: Snapshot | null;
}

/**
 * Follower side of chunked snapshot transfer: reassembles one snapshot from
 * in-order chunks of one sender in one term. A chunk past a gap is not
 * buffered; the answer names the offset still needed so the leader resends.
 */
export class SnapshotAssembler {
  private current: {
    from: NodeId;
    term: number;
    chunk: SnapshotChunk;
    buf: Uint8Array;
    received: number;
  } | null = null;

  receive(from: NodeId, term: number, chunk: SnapshotChunk): ChunkResult {
    const { offset, total, data } = chunk;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(total) ||
      offset < 0 ||
      total < 0 ||
      total > MAX_SNAPSHOT_BYTES ||
      offset + data.length > total
    ) {
      return { next: 0, reject: true, complete: null };
    }
    let cur = this.current;
    if (
      cur === null ||
      cur.from !== from ||
      cur.term !== term ||
      cur.chunk.metadata.index !== chunk.metadata.index ||
      cur.chunk.metadata.term !== chunk.metadata.term ||
      cur.chunk.total !== total
    ) {
      if (offset !== 0) return { next: 0, reject: false, complete: null };
      cur = { from, term, chunk, buf: new Uint8Array(total), received: 0 };
      this.current = cur;
    }

    if (offset > cur.received) return { next: cur.received, reject: false, complete: null };
    const end = offset + data.length;
    if (end > cur.received) {
      cur.buf.set(data.subarray(cur.received - offset), cur.received);
      cur.received = end;
    }
    if (cur.received < total) return { next: cur.received, reject: false, complete: null };
    this.current = null;
    return {
      next: total,
      reject: false,
      complete: { metadata: chunk.metadata, data: cur.buf },
    };
  }
}
