// How a replicated request can fail, by what the caller may conclude about
// it: never proposed, certainly not applied, or outcome unknown. The cluster
// node retries the first two freely and the third with the same session seq
// (applied at most once), and tells the client which case it was.

import type { NodeId, ProposeRefusal } from '../../raft/types.js';

/** This node is not the leader: nothing was proposed. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor(readonly leader: NodeId | null) {
    super(leader === null ? 'no leader known' : `the leader is ${leader}`);
  }
}

/** The leader refused to propose (overloaded, transferring, too large): nothing was proposed. */
export class ProposalRefusedError extends Error {
  override name = 'ProposalRefusedError';
  constructor(readonly reason: ProposeRefusal) {
    super(`proposal refused: ${reason}`);
  }
}

/**
 * The write's entry is larger than some member's storage engine can hold
 * (entry-rooms.ts): nothing was proposed, and retrying cannot help. The
 * message is the client's answer.
 */
export class EntryTooLargeError extends Error {
  override name = 'EntryTooLargeError';
}

/** The proposal's log slot went to another entry: it was not applied and never will be. */
export class NotAppliedError extends Error {
  override name = 'NotAppliedError';
}

/** Proposed, but what became of it is unknown (timed out, leadership or storage lost). */
export class OutcomeUnknownError extends Error {
  override name = 'OutcomeUnknownError';
}

/** The node's Raft state is being reloaded (storage engine restarted) or not loaded yet. */
export class ReplicaUnavailableError extends Error {
  override name = 'ReplicaUnavailableError';
}
