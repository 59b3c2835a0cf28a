import type { Raft } from './raft.js';
import { sendAppend } from './replication.js';
import type { NodeId } from './types.js';

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
  r.electionElapsed = 0;
  const pr = r.tracker.progress.get(to);
  if (pr !== undefined && pr.match === r.log.lastIndex()) {
    r.send({ type: 'timeout-now', to });
  } else {
    sendAppend(r, to);
  }
}
