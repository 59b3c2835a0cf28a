// Whether a failed attempt at a replicated request (a write, a membership
// change) may have been carried out all the same: the rule a retry needs, for
// writes (ClusterNode.classify) and admin requests (Membership.onLeader) alike.

import { PeerRequestError } from '../../peer/index.js';
import { parseRpcError } from './peer-rpc.js';
import {
  NotAppliedError,
  NotLeaderError,
  ProposalRefusedError,
  ReplicaUnavailableError,
} from './replication-errors.js';

/** False when the attempt certainly did nothing: not sent, refused, or not applied. */
export function mayHaveTakenEffect(err: unknown): boolean {
  if (err instanceof NotLeaderError || err instanceof ProposalRefusedError) return false;
  if (err instanceof ReplicaUnavailableError || err instanceof NotAppliedError) return false;
  if (!(err instanceof PeerRequestError)) return true;
  switch (err.code) {
    case 'unknown-peer':
    case 'unreachable':
    case 'overloaded':
    case 'too-large':
      return false; // not sent
    case 'remote': {
      const { code } = parseRpcError(err.message);
      return !(code === 'NOTLEADER' || code === 'REFUSED' || code === 'NOTAPPLIED');
    }
    default:
      return true; // sent; the connection broke or no answer came in time
  }
}
