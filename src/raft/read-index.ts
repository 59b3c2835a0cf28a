import type { Raft } from './raft.js';
import type { Message, NodeId } from './types.js';

/**
 * Leader side of ReadIndex (thesis §6.4). The read index is the commit index,
 * valid only once this leader committed an entry of its own term (its no-op);
 * until then requests wait. 'safe' confirms leadership with a heartbeat round;
 * 'lease' answers at once while the leader's lease (leader-lease.ts) holds.
 */
export function handleReadIndex(r: Raft, m: Message): void {
  if (r.tracker.voters.size === 1 && r.tracker.isVoter(r.id)) {
    respondToReadIndex(r, m, r.log.committed);
    return;
  }
  if (r.log.term(r.log.committed) !== r.term) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  // Without a live lease, or during a transfer (the target may win before the
  // lease runs out), confirm with a heartbeat round instead.
  if (r.cfg.readOnlyOption === 'lease' && r.leadTransferee === null && r.lease.valid(r.ticks)) {
    respondToReadIndex(r, m, r.log.committed);
    return;
  }
  const context = m.context ?? new Uint8Array(0);
  r.readOnly.addRequest(r.log.committed, m);
  r.readOnly.recvAck(r.id, context);
  r.bcastHeartbeatWith(context, readRoundPeers(r));
}

/**
 * thriftyReadIndex: the followers that completed the last round, while they
 * are still voters enough for a quorum with the leader; null (every
 * follower) otherwise. One that is slow or no longer answers holds this
 * round until the application hedges it (hedgeReadRound) or the periodic
 * heartbeat goes to all with the newest pending context; whoever answers
 * instead asks the rounds after.
 */
function readRoundPeers(r: Raft): NodeId[] | null {
  if (r.cfg.thriftyReadIndex !== true) return null;
  const peers = r.readPeers.filter((id) => r.tracker.isVoter(id));
  const self = r.tracker.isVoter(r.id) ? 1 : 0;
  return peers.length + self >= r.tracker.quorum() ? peers : null;
}

/**
 * The application calls it once the request `seq` (Raft.readRoundToHedge)
 * has waited longer than a round normally takes: if it, or one before it, is
 * still unconfirmed and was not asked of every follower, the newest pending
 * request's heartbeat goes to the voters not asked for it, so whoever answers
 * first completes it (and every request before it). A no-op otherwise. Safety
 * is that of any round: the heartbeat is sent after the requests arrived.
 */
export function hedgeReadRound(r: Raft, seq: number): void {
  // Only a leader has requests pending (a change of role drops them).
  const oldest = r.readOnly.oldestPartlyAsked();
  const last = r.readOnly.last();
  if (oldest === null || oldest > seq || last === null) return;
  const context = last.request.context ?? new Uint8Array(0);
  const asked = last.asked;
  const to = [...r.tracker.voters].filter(
    (id) => id !== r.id && asked?.has(id) !== true && !last.acks.has(id),
  );
  if (to.length > 0) r.bcastHeartbeatWith(context, to);
  r.readOnly.sent(context, null);
}

export function respondToReadIndex(r: Raft, m: Message, index: number): void {
  const context = m.context ?? new Uint8Array(0);
  if (m.from === r.id) {
    r.readStates.push({ index, context });
  } else {
    r.send({ type: 'read-index-response', to: m.from, index, context });
    // It serves the read once it has applied `index`: tell it the commit index
    // now (a 'safe' round's heartbeats carried it already, a lease answer not).
    if (r.cfg.lazyCommitBroadcast) r.sendAppendTo(m.from);
  }
}
