// GET /status and the dashboard's live feed: the same ClusterStatus that
// CLUSTER STATUS returns (so `distdb cluster status` and the dashboard agree),
// this node's figures, every member's figures as it reports them, and the
// recent leader changes this node saw.

import type { NodeState } from '../command-context.js';
import type { LeaderChange } from '../replication/leader-history.js';
import type { ClusterStatus } from '../replication/replication.js';
import type { NodeFigures } from './node-figures.js';

export interface MemberReport {
  id: string;
  /** What the member reported about itself; null when it did not answer. */
  figures: NodeFigures | null;
  /** Why `figures` is null. */
  error: string | null;
}

export interface StatusReport {
  /** When this report was made (ms since the epoch). */
  time: number;
  /** Exactly what CLUSTER STATUS returns on this node; null for a coordinator without a cluster. */
  cluster: ClusterStatus | null;
  /** This node's own figures. */
  node: NodeFigures;
  /** Every member of the cluster, in CLUSTER STATUS order (just this node without a cluster). */
  members: MemberReport[];
  /** Newest first. */
  leaderChanges: LeaderChange[];
}

/** How long a member may take to report its figures before it is shown as not answering. */
export const MEMBER_FIGURES_TIMEOUT_MS = 800;

export async function statusReport(
  node: NodeState,
  ownFigures: () => Promise<NodeFigures>,
): Promise<StatusReport> {
  const r = node.replication;
  const cluster = r?.status() ?? null;
  const own = await ownFigures();
  const members: MemberReport[] =
    r === null || cluster === null
      ? [{ id: own.id, figures: own, error: null }]
      : await Promise.all(
          cluster.members.map(async (m): Promise<MemberReport> => {
            if (m.id === cluster.id) return { id: m.id, figures: own, error: null };
            try {
              const f = await r.memberFigures(m.id, MEMBER_FIGURES_TIMEOUT_MS);
              return { id: m.id, figures: f as NodeFigures, error: null };
            } catch (err) {
              return { id: m.id, figures: null, error: (err as Error).message };
            }
          }),
        );
  return {
    time: Date.now(),
    cluster,
    node: own,
    members,
    leaderChanges: r?.leaderChanges() ?? [],
  };
}
