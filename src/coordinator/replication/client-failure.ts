// How a replicated request that could not be completed is reported to the
// client: always a code word and a sentence that says whether a write may
// have taken effect.

import { CommandError } from '../command-error.js';

export type WriteOutcome = 'not-applied' | 'maybe-applied';

function outcomeSentence(outcome: WriteOutcome | null): string {
  if (outcome === null) return 'the read was not served; retry it';
  return outcome === 'not-applied'
    ? 'the write was not applied; retry it'
    : 'the write may or may not have been applied; read the key to check before retrying a non-idempotent write';
}

/** No leader for longer than an election timeout: this node cannot reach a majority. */
export function clusterDown(noLeaderMs: number, outcome: WriteOutcome | null): CommandError {
  return new CommandError(
    `CLUSTERDOWN this node cannot reach a majority of the cluster (no leader for ${(noLeaderMs / 1000).toFixed(1)} s); ${outcomeSentence(outcome)}`,
  );
}

export function tryAgain(why: string, outcome: WriteOutcome | null): CommandError {
  return new CommandError(`TRYAGAIN ${why}; ${outcomeSentence(outcome)}`);
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
