import type { Message, NodeId } from './types.js';

/** A read-index request waiting for a quorum of heartbeat acknowledgements. */
export interface ReadIndexStatus {
  request: Message;
  index: number;
  acks: Set<NodeId>;
  /** Its place in arrival order: the application names a round to hedge by it. */
  seq: number;
  /**
   * The followers its heartbeats went to; null once a heartbeat went to
   * every follower with its context or a later one (which confirms it too).
   */
  asked: Set<NodeId> | null;
}

function key(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.length).toString('latin1');
}

/**
 * Safe ReadIndex (thesis §6.4): a read at the leader's commit index is served
 * once a quorum answered a heartbeat sent after it, proving the leader was
 * still the leader. Requests are answered in arrival order, so one quorum
 * confirms every earlier request too.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];
  private seq = 0;

  addRequest(index: number, request: Message): void {
    const k = key(request.context ?? new Uint8Array(0));
    if (this.pending.has(k)) return;
    this.pending.set(k, { request, index, acks: new Set(), seq: ++this.seq, asked: new Set() });
    this.queue.push(k);
  }

  /**
   * A heartbeat with `context` went to `to` (null: every follower), which
   * for every follower also asks the requests before it.
   */
  sent(context: Uint8Array, to: readonly NodeId[] | null): void {
    const k = key(context);
    const rs = this.pending.get(k);
    if (rs === undefined) return;
    if (to !== null) {
      for (const id of to) rs.asked?.add(id);
      return;
    }
    for (const q of this.queue) {
      const s = this.pending.get(q);
      if (s !== undefined) s.asked = null;
      if (q === k) break;
    }
  }

  /** Records an ack for the request with `context`; returns who acked it so far. */
  recvAck(from: NodeId, context: Uint8Array): Set<NodeId> | undefined {
    const rs = this.pending.get(key(context));
    if (rs === undefined) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const k = key(context);
    const at = this.queue.indexOf(k);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const d of done) {
      const rs = this.pending.get(d);
      if (rs !== undefined) out.push(rs);
      this.pending.delete(d);
    }
    return out;
  }

  lastPendingContext(): Uint8Array | null {
    return this.last()?.request.context ?? null;
  }

  last(): ReadIndexStatus | null {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? null : (this.pending.get(k) ?? null);
  }

  /** The seq of the oldest request not yet asked of every follower; null if none. */
  oldestPartlyAsked(): number | null {
    for (const q of this.queue) {
      const rs = this.pending.get(q);
      if (rs !== undefined && rs.asked !== null) return rs.seq;
    }
    return null;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
