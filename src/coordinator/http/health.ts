// GET /health, for load balancers: 200 when this node can serve (its storage
// engine answers and, in a cluster, it knows a leader), 503 with the reason
// otherwise. Never needs credentials, and tells nothing about the data.

import type { NodeState } from '../command-context.js';
import type { NodeFigures } from './node-figures.js';

export interface Health {
  ok: boolean;
  /** The leader this node follows (itself when it leads); null without one or without a cluster. */
  leader: string | null;
  /** Why the node is not healthy; absent when it is. */
  reason?: string;
}

export function health(node: NodeState, figures: NodeFigures): Health {
  const leader = figures.leader;
  if (!figures.storage) {
    return { ok: false, leader, reason: 'the storage engine does not answer' };
  }
  if (node.replication !== null && leader === null) {
    return {
      ok: false,
      leader,
      reason: 'this node sees no leader (election under way, or no majority reachable)',
    };
  }
  return { ok: true, leader };
}
