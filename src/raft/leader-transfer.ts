import { makeMessage } from './message.js';
import type { Raft } from './raft.js';
import { sendAppend } from './replication.js';
import type { Message, NodeId } from './types.js';

/**
 * Leadership transfer (thesis §3.10): bring the target's log up to date,
 * then tell it to campaign at once with `timeout-now` (sent from
 * handleAppendResponse when it catches up, and again with every heartbeat
 * while the transfer lasts). Proposals are refused meanwhile; the leader
 * abandons the transfer after an election timeout (tickLeader).
 */
export function transferLeader(r: Raft, to: NodeId): void {
  if (r.role !== 'leader' || to === r.id || !r.tracker.isVoter(to)) return;
  if (r.leadTransferee === to) return;
  r.leadTransferee = to;
  r.lease.revoke();
  r.electionElapsed = 0;
  const pr = r.tracker.progress.get(to);
  if (pr !== undefined && pr.match === r.log.lastIndex()) {
    r.send({ type: 'timeout-now', to });
  } else {
    sendAppend(r, to);
  }
}

/**
 * The leader's storage failed: the application abandons this node's state
 * and reloads it from disk as a follower, and the group would wait out an
 * election timeout for a new leader. The state in memory is still valid,
 * so it hands over at once instead: the `timeout-now` for a voter that
 * acknowledged every entry this leader's Readies sent (`sentIndex`), one
 * heard from recently first, for the application to send itself, since no
 * Ready of this node is handled any more. Entries proposed, or appends
 * made, since the last Ready were sent to no one and never will be: no
 * voter holds them, so they do not count. The target's log then ends in
 * this term and no voter's goes further in it, so every voter grants it
 * its vote: it wins at once. Safe
 * although this node's own disk may lack entries it sent (the target holds
 * them), and any election is: it needs a majority's votes. Null when no
 * voter is caught up yet (the application may ask again as append answers
 * arrive) or this node does not lead.
 */
export function handOver(r: Raft): Message | null {
  if (r.role !== 'leader') return null;
  let to: NodeId | null = null;
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id || !r.tracker.isVoter(id)) continue;
    if (pr.match < r.sentIndex || r.log.term(pr.match) !== r.term) continue;
    if (to === null || pr.recentActive) to = id;
    if (pr.recentActive) break;
  }
  if (to === null) return null;
  r.leadTransferee = to;
  r.lease.revoke();
  r.electionElapsed = 0;
  return makeMessage({ type: 'timeout-now', to }, r.id, r.group, r.term);
}
