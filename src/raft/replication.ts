import { invariant } from './invariant.js';
import { bytesEqual, makeMessage } from './message.js';
import type { Raft } from './raft.js';
import { respondToReadIndex } from './read-index.js';
import { sendSnapshotChunk, tendSnapshotSend } from './snapshot-transfer.js';
import type { Message, NodeId } from './types.js';

/**
 * Leader → one follower: the next batch of entries (up to maxSizePerMsg),
 * unless its progress is paused (probing, window full, or snapshotting).
 * Returns whether a message was sent.
 */
export function sendAppend(r: Raft, to: NodeId, sendIfEmpty = true): boolean {
  const pr = r.tracker.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) {
    // The entries it needs were compacted: stream the snapshot instead.
    const snapshot = r.log.snapshot;
    invariant(snapshot !== null, 'log compacted without a snapshot', () => ({
      to,
      next: pr.next,
      firstIndex: r.log.firstIndex(),
    }));
    if (!pr.recentActive) return false;
    const source = r.snapshotSource();
    if (source === null) {
      // The application holds the data: ask for it (or its size). The
      // follower's progress stays as it is, and its next answer (a
      // heartbeat's) tries again.
      r.snapshotWanted = snapshot.metadata.index;
      return false;
    }
    pr.becomeSnapshot(source.metadata, source.total, source.data, r.ticks);
    sendSnapshotChunk(r, to, pr);
    return true;
  }
  const last = r.log.lastIndex();
  const entries = pr.next <= last ? r.log.slice(pr.next, last, r.cfg.maxSizePerMsg) : [];
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({
    type: 'append',
    to,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commit: r.log.committed,
  });
  const lastSent = entries[entries.length - 1];
  // It commits no further than the last entry this append shows it.
  pr.commitSent = Math.max(pr.commitSent, Math.min(r.log.committed, lastSent?.index ?? prevIndex));
  if (lastSent !== undefined) {
    if (pr.state === 'replicate') {
      // Pipelining: assume success and move on; a rejection rewinds to match+1.
      let bytes = 0;
      for (const e of entries) bytes += e.data.length;
      pr.next = lastSent.index + 1;
      pr.inflights.add(lastSent.index, bytes);
    } else {
      pr.probeSent = true;
    }
  }
  return true;
}

export function bcastAppend(r: Raft, sendIfEmpty = true): void {
  for (const id of r.tracker.progress.keys()) if (id !== r.id) sendAppend(r, id, sendIfEmpty);
}

/**
 * Heartbeats keep followers' election timers quiet and carry a read-index
 * context; to the followers in `to`, or to all when it is null.
 */
export function bcastHeartbeat(
  r: Raft,
  context: Uint8Array | null,
  to: readonly NodeId[] | null,
): void {
  // index carries the heartbeat round, echoed back, which renews the read lease.
  const round = r.lease.startRound(r.ticks, r.id);
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id || (to !== null && !to.includes(id))) continue;
    // Never tell a follower to commit beyond what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    sendHeartbeat(
      r,
      makeMessage(
        { type: 'heartbeat', to: id, commit, context, index: round },
        r.id,
        r.group,
        r.term,
      ),
    );
    pr.commitSent = Math.max(pr.commitSent, commit);
    if (pr.state === 'snapshot') tendSnapshotSend(r, id, pr);
  }
  if (context !== null && context.length > 0) r.readOnly.sent(context, to);
}

/**
 * One heartbeat per follower and context in a Ready: `hb` replaces a
 * heartbeat to the same follower not yet handed out that carries the same
 * context or none (its commit and lease round are older; the follower needs
 * one). A read round and the periodic heartbeat, or a hedge, falling in one
 * Ready otherwise sent a follower the same context twice, answered twice.
 * Its place in the queue stays: its commit is what the follower is known
 * to hold, so it may go before any append.
 */
function sendHeartbeat(r: Raft, hb: Message): void {
  const msgs = r.msgs;
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i] as Message;
    if (m.type !== 'heartbeat' || m.to !== hb.to) continue;
    if (m.term === hb.term && (!m.context?.length || bytesEqual(m.context, hb.context))) {
      msgs[i] = hb;
      return;
    }
    break;
  }
  msgs.push(hb);
}

/** Commits the quorum index if it is an entry of the current term (§5.4.2, Figure 8). */
export function maybeCommit(r: Raft): boolean {
  const index = r.tracker.committed();
  if (index <= r.log.committed || r.log.term(index) !== r.term) return false;
  r.log.commitTo(index);
  return true;
}

export function handleAppendResponse(r: Raft, m: Message): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.heard(r.ticks);
  if (m.reject) {
    // Fast backtracking: skip every entry of a term the follower cannot hold.
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot') {
    const covered = pr.match + 1 >= r.log.firstIndex();
    if (pr.match >= pr.pendingSnapshot || covered) {
      pr.becomeProbe();
      if (covered) pr.becomeReplicate();
    }
  } else {
    pr.inflights.freeLE(m.index);
  }
  if (maybeCommit(r)) {
    onCommitAdvanced(r);
  } else if (pr.match < r.log.committed && !r.cfg.lazyCommitBroadcast) {
    // It can learn a newer commit index (lazily: with its next append).
    sendAppend(r, m.from);
  }
  while (sendAppend(r, m.from, false)) {
    // Fill the in-flight window.
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.send({ type: 'timeout-now', to: m.from });
  }
}

/** Reads waiting for the first commit of this term may now proceed; followers learn the commit. */
export function onCommitAdvanced(r: Raft): void {
  r.releasePendingReads();
  // Lazily: with the next append or heartbeat. Not while a membership change
  // (or a new leader's no-op) waits: the members act on it once they apply it.
  if (r.cfg.lazyCommitBroadcast && r.pendingConfIndex <= r.log.applied) return;
  bcastAppend(r);
}

export function handleHeartbeatResponse(r: Raft, m: Message): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.heard(r.ticks);
  pr.probeSent = false;
  r.lease.ack(m.index, m.from, r.tracker); // counts only current voters
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
  // A heartbeat round with a context confirms its reads in either mode: 'lease'
  // falls back to one when its lease is not valid (read-index.ts).
  if (m.context === null || m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined) return;
  let votes = 0;
  for (const id of acks) if (r.tracker.isVoter(id)) votes++;
  if (votes < r.tracker.quorum()) return;
  // The voters that answered first ask the next round alone (thriftyReadIndex).
  if (r.cfg.thriftyReadIndex) {
    r.readPeers = [...acks].filter((id) => id !== r.id && r.tracker.isVoter(id));
  }
  for (const rs of r.readOnly.advance(m.context)) respondToReadIndex(r, rs.request, rs.index);
}

/** Follower side of append (§5.3): match (prevIndex, prevTerm), then agree with the leader. */
export function handleAppend(r: Raft, m: Message): void {
  if (m.index < r.log.committed) {
    // Leader completeness: whatever it sends for our committed prefix must match it.
    for (const e of m.entries) {
      if (e.index > r.log.committed) break;
      const ours = r.log.term(e.index);
      invariant(ours === undefined || ours === e.term, 'truncating committed entries', () => ({
        id: r.id,
        committed: r.log.committed,
        index: e.index,
        ourTerm: ours,
        leaderTerm: e.term,
        leader: m.from,
      }));
    }
    r.send({ type: 'append-response', to: m.from, index: r.log.committed });
    return;
  }
  const last = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (last !== null) {
    r.send({ type: 'append-response', to: m.from, index: last });
    return;
  }
  // Tell the leader where our log may match: the last index ≤ its probe whose term ≤ its term.
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.send({
    type: 'append-response',
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit);
  r.send({ type: 'heartbeat-response', to: m.from, context: m.context, index: m.index });
}
