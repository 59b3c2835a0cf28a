import type { Progress, SnapshotSend } from './progress.js';
import type { Raft } from './raft.js';
import type { Message, NodeId } from './types.js';

const NO_DATA = new Uint8Array(0);

/**
 * Leader: sends the chunk of the snapshot that the follower needs next
 * (stop-and-wait: the follower's answer names the next offset it wants).
 * When the application holds the data, the chunk is asked of it
 * (Ready.snapshotChunksWanted) and sent once provided (provideSnapshotChunk).
 */
export function sendSnapshotChunk(r: Raft, to: NodeId, pr: Progress): void {
  const send = pr.snapshotSend;
  if (send === null) return;
  const offset = nextChunkOffset(r, send);
  send.idleRounds = 0;
  if (send.data === null) {
    send.asked = true;
    const length = Math.min(r.cfg.snapshotChunkSize, send.total - offset);
    r.askSnapshotChunk({ index: send.metadata.index, offset, length });
    return;
  }
  sendChunk(r, to, send, offset, send.data.subarray(offset, offset + r.cfg.snapshotChunkSize));
}

/** Where the follower's next chunk starts. */
export function nextChunkOffset(r: Raft, send: SnapshotSend): number {
  // Once everything was acknowledged, resend the tail: the install answer may have been lost.
  return send.offset < send.total ? send.offset : Math.max(0, send.total - r.cfg.snapshotChunkSize);
}

export function sendChunk(
  r: Raft,
  to: NodeId,
  send: SnapshotSend,
  offset: number,
  data: Uint8Array,
): void {
  send.asked = false;
  r.send({
    type: 'snapshot',
    to,
    snapshot: { metadata: send.metadata, offset, total: send.total, data },
  });
}

/**
 * Leader, each heartbeat round. A follower that answered nothing for an
 * election timeout is treated as a failed transfer (etcd leaves that to the
 * transport's ReportSnapshot; here the core streams the chunks itself, so it
 * bounds the wait): back to probe, which lets the application drop the image
 * (dropSnapshotData), and the follower's next heartbeat answer starts over.
 * Otherwise, after two rounds without an answer a chunk or its answer was
 * lost, so send the chunk the follower needs again — but not to a follower
 * that stopped answering; its heartbeat answer resumes it.
 */
export function tendSnapshotSend(r: Raft, to: NodeId, pr: Progress): void {
  const send = pr.snapshotSend;
  if (send === null) return;
  if (r.ticks - send.heardAt >= r.cfg.electionTick) {
    pr.abortSnapshot();
    return;
  }
  if (++send.idleRounds >= 2 && pr.recentActive) sendSnapshotChunk(r, to, pr);
}

/** Leader: a chunk was acknowledged (or a malformed one refused). */
export function handleSnapshotResponse(r: Raft, m: Message): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.heard(r.ticks);
  const ack = m.snapshot;
  const send = pr.snapshotSend;
  if (pr.state !== 'snapshot' || send === null || ack === null) return;
  if (ack.metadata.index !== send.metadata.index) return;
  if (m.reject) {
    pr.abortSnapshot();
    return;
  }
  send.offset = ack.offset;
  if (send.offset < send.total) sendSnapshotChunk(r, m.from, pr);
  else send.idleRounds = 0;
}

/**
 * Follower: hands an in-order chunk out to be staged (SnapshotReceiver) and
 * answers with the offset it needs next; installs the snapshot from its
 * metadata when the last byte arrived (the application commits what it staged).
 */
export function handleSnapshotChunk(r: Raft, m: Message): void {
  const chunk = m.snapshot;
  if (chunk === null) return;
  if (chunk.metadata.index <= r.log.committed) {
    // Already have it all: tell the leader where we are so it resumes appending.
    r.send({ type: 'append-response', to: m.from, index: r.log.committed });
    return;
  }
  // A snapshot completed and its install is not handed out yet: it leaves in
  // one Ready with its last pieces, so no other transfer may start (dropping
  // what is staged) before. The leader sends again.
  if (r.log.pendingSnapshot !== null) return;
  const result = r.snapshotReceiver.receive(m.from, m.term, chunk);
  if (result.dropped) r.withdrawSnapshotAnswers();
  if (result.complete === null) {
    r.send({
      type: 'snapshot-response',
      to: m.from,
      reject: result.reject,
      snapshot: {
        metadata: chunk.metadata,
        offset: result.next,
        total: chunk.total,
        data: NO_DATA,
      },
    });
    return;
  }
  const installed = r.restore(result.complete);
  if (installed) r.snapshotReceiver.installed();
  else r.dropIncomingSnapshot(); // staged for nothing: not needed any more
  r.send({
    type: 'append-response',
    to: m.from,
    index: installed ? r.log.lastIndex() : r.log.committed,
  });
}
