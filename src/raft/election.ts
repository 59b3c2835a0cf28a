import { bytesEqual, TRANSFER_CONTEXT } from './message.js';
import type { Raft } from './raft.js';
import type { Message } from './types.js';

export type CampaignKind = 'pre-election' | 'election' | 'transfer';

/**
 * Starts an election. With PreVote (thesis §9.6) a node first asks whether it
 * could win at term+1 without raising its own term, so a node that was cut
 * off cannot disrupt a healthy leader by inflating terms when it returns.
 */
export function campaign(r: Raft, kind: CampaignKind): void {
  if (!r.promotable()) return;
  let voteType: 'pre-vote' | 'vote';
  let term: number;
  if (kind === 'pre-election') {
    r.becomePreCandidate();
    voteType = 'pre-vote';
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    voteType = 'vote';
    term = r.term;
  }
  r.tracker.recordVote(r.id, true);
  if (r.tracker.tallyVotes().result === 'won') {
    wonElection(r, kind === 'pre-election');
    return;
  }
  const index = r.log.lastIndex();
  const logTerm = r.log.lastTerm();
  for (const id of r.tracker.voters) {
    if (id === r.id) continue;
    r.send({
      type: voteType,
      to: id,
      term,
      index,
      logTerm,
      context: kind === 'transfer' ? TRANSFER_CONTEXT : null,
    });
  }
}

function wonElection(r: Raft, preVote: boolean): void {
  if (preVote) {
    campaign(r, 'election');
  } else {
    r.becomeLeader();
  }
}

/**
 * Whether a vote request with a higher term should be ignored: a node that
 * heard from a live leader within the election timeout keeps its lease
 * (CheckQuorum, thesis §4.2.3), unless the leader itself handed over. With
 * lease reads (or keepLeaseAfterStart), a node that just started does the
 * same for one election timeout: it may have promised a lease before it
 * crashed.
 */
export function inLease(r: Raft, m: Message): boolean {
  if (!r.cfg.checkQuorum || bytesEqual(m.context, TRANSFER_CONTEXT)) return false;
  const afterStart = r.cfg.readOnlyOption === 'lease' || r.cfg.keepLeaseAfterStart === true;
  if (afterStart && r.ticks < r.cfg.electionTick) return true;
  return r.lead !== null && r.electionElapsed < r.cfg.electionTick;
}

/** Grants or refuses a vote or pre-vote (§5.2, §5.4.1 election restriction). */
export function handleVoteRequest(r: Raft, m: Message): void {
  const preVote = m.type === 'pre-vote';
  const respType = preVote ? 'pre-vote-response' : 'vote-response';
  const canVote =
    r.vote === m.from || (r.vote === null && r.lead === null) || (preVote && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.index, m.logTerm)) {
    // The response carries the request's term so the candidate counts it.
    r.send({ type: respType, to: m.from, term: m.term });
    if (!preVote) {
      r.electionElapsed = 0;
      r.setVote(m.from);
    }
  } else {
    r.send({ type: respType, to: m.from, term: r.term, reject: true });
  }
}

/** A (pre-)candidate counts an answer; a majority either way decides. */
export function handleVoteResponse(r: Raft, m: Message): void {
  const expected = r.role === 'pre-candidate' ? 'pre-vote-response' : 'vote-response';
  if (m.type !== expected) return;
  r.tracker.recordVote(m.from, !m.reject);
  const { result } = r.tracker.tallyVotes();
  if (result === 'won') wonElection(r, r.role === 'pre-candidate');
  else if (result === 'lost') r.becomeFollower(r.term, null);
}
