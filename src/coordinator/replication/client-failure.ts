// How a replicated request that could not be completed is reported to the
// client: always a code word and a sentence that says what was not done
// (whether a write may have taken effect) and what to do.

import { CommandError } from '../command-error.js';

export type WriteOutcome = 'not-applied' | 'maybe-applied';

/** What became of a failed request: a write's outcome, or what another request did not do. */
export type Outcome = WriteOutcome | 'read-not-served' | 'backup-not-begun' | 'not-transferred';

/** What a request that waits for a read index (a read, BACKUP BEGIN) did not do when it fails. */
export type ReadOutcome = 'read-not-served' | 'backup-not-begun';

const SENTENCES: Record<Outcome, string> = {
  'not-applied': 'the write was not applied; retry it',
  'maybe-applied':
    'the write may or may not have been applied; read the key to check before retrying a non-idempotent write',
  'read-not-served': 'the read was not served; retry it',
  'backup-not-begun': 'no backup was begun; retry BACKUP BEGIN',
  // A retry once the target leads answers OK (runAdmin), so retrying is safe.
  'not-transferred': 'the transfer did not take place; retry it',
};

/** No leader for longer than an election timeout: this node cannot reach a majority. */
export function clusterDown(noLeaderMs: number, outcome: Outcome): CommandError {
  return majorityLost(noLeaderMs, SENTENCES[outcome]);
}

/**
 * clusterDown for CLUSTER ADD / REMOVE / TRANSFER-LEADER, naming `command` as
 * typed; `maybeDone`: an earlier attempt's answer was lost, so it may have taken effect.
 */
export function adminClusterDown(
  noLeaderMs: number,
  command: string,
  maybeDone: boolean,
): CommandError {
  return majorityLost(
    noLeaderMs,
    maybeDone
      ? `${command} may or may not have taken effect; check CLUSTER STATUS before retrying`
      : `${command} was not carried out; retry it`,
  );
}

function majorityLost(noLeaderMs: number, what: string): CommandError {
  return new CommandError(
    `CLUSTERDOWN this node cannot reach a majority of the cluster (no leader for ${(noLeaderMs / 1000).toFixed(1)} s); ${what}`,
  );
}

export function tryAgain(why: string, outcome: Outcome): CommandError {
  return new CommandError(`TRYAGAIN ${why}; ${SENTENCES[outcome]}`);
}

/**
 * A write the leader refused as invalid (too large for a member, an op it
 * does not know): `text` is its answer, which no retry can change. It says
 * nothing of earlier attempts, so when one of them may have been applied
 * (`before`: its answer was lost, then another leader refused it), so does the reply.
 */
export function invalidWrite(text: string, before: WriteOutcome): CommandError {
  if (before === 'not-applied') return new CommandError(text);
  return new CommandError(`${text}; an earlier attempt went unanswered, so ${SENTENCES[before]}`);
}

/** A write whose session was superseded before its retry landed. */
export function sessionSuperseded(): CommandError {
  return tryAgain(
    'the write was retried after a leader change and its session moved on',
    'maybe-applied',
  );
}

export function removedNode(id: string): CommandError {
  return new CommandError(
    `ERR node ${id} was removed from the cluster and serves no requests; connect to another node (CLUSTER STATUS there lists them)`,
  );
}
