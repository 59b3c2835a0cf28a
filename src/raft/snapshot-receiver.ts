import type { IncomingSnapshotStep, NodeId, SnapshotChunk, SnapshotMetadata } from './types.js';

export interface ChunkResult {
  /** The byte offset the follower needs next. */
  next: number;
  /** The chunk was malformed. */
  reject: boolean;
  /** The last byte arrived: the caller installs the snapshot (installed) or drops it (drop). */
  complete: SnapshotMetadata | null;
  /** The chunk started another transfer: the one under way was dropped. */
  dropped: boolean;
}

/**
 * Follower side of chunked snapshot transfer: follows one snapshot from one
 * sender in one term as its chunks arrive, and hands each new in-order piece
 * out (Ready.incomingSnapshot) for the application to stage. It holds none of
 * the bytes, so a snapshot's size is bounded by nothing here. The answer to a
 * chunk leaves in the same Ready as its piece or a later one, and the
 * application stages a Ready's pieces before it sends its messages: an
 * acknowledgment never covers bytes that were not staged. A chunk past a gap
 * is not handed out; the answer names the offset still needed.
 */
export class SnapshotReceiver {
  private current: {
    from: NodeId;
    term: number;
    metadata: SnapshotMetadata;
    total: number;
    received: number;
  } | null = null;
  /** Steps for the next Ready, in order. */
  steps: IncomingSnapshotStep[] = [];

  receive(from: NodeId, term: number, chunk: SnapshotChunk): ChunkResult {
    const { offset, total, data, metadata } = chunk;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(total) ||
      offset < 0 ||
      offset + data.length > total
    ) {
      return { next: 0, reject: true, complete: null, dropped: false };
    }
    let cur = this.current;
    let dropped = false;
    if (
      cur === null ||
      cur.from !== from ||
      cur.term !== term ||
      cur.metadata.index !== metadata.index ||
      cur.metadata.term !== metadata.term ||
      cur.total !== total
    ) {
      if (offset !== 0) return { next: 0, reject: false, complete: null, dropped: false };
      dropped = this.drop();
      cur = { from, term, metadata, total, received: 0 };
      this.current = cur;
      // Even an empty first piece: it tells the application a new snapshot starts.
      this.steps.push({ type: 'piece', chunk: { metadata, offset: 0, total, data } });
      cur.received = data.length;
    } else if (offset <= cur.received && offset + data.length > cur.received) {
      const piece = data.subarray(cur.received - offset);
      this.steps.push({
        type: 'piece',
        chunk: { metadata, offset: cur.received, total, data: piece },
      });
      cur.received += piece.length;
    }
    if (cur.received < total) return { next: cur.received, reject: false, complete: null, dropped };
    return { next: total, reject: false, complete: cur.metadata, dropped };
  }

  /** The complete snapshot was installed: nothing is staged any more. */
  installed(): void {
    this.current = null;
  }

  /**
   * Abandons the transfer under way, if any: the application drops what it
   * staged. True when there was one.
   */
  drop(): boolean {
    if (this.current === null) return false;
    this.current = null;
    this.steps.push({ type: 'drop' });
    return true;
  }
}
