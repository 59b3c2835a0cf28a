// The initial voters a new node is given (--peers, ClusterOptions.peers):
// the refusal of a list that leaves the node out, in the same words from
// every path that seeds or starts a node (distdb node, distdb restore).

import type { NodeId } from '../../raft/types.js';

/**
 * Why `peers` cannot start node `id`: left out, it would bootstrap a cluster
 * without itself, and the leader would call it removed.
 */
export function peersLackNode(id: NodeId, peers: Readonly<Record<NodeId, string>>): string {
  return (
    `--peers must include this node (--id ${id}) as ${id}=host:peerport, the address the others reach it at; ` +
    `it names ${Object.keys(peers).join(', ')}. To add a node to a running cluster, start it with ` +
    `--join <host:peerport of a member> instead`
  );
}
