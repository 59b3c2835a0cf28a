// The initial voters a new node is given (--peers, ClusterOptions.peers) and
// the member it joins through (--join): what makes them unusable, said in
// the same words by every path that seeds or starts a node (startCoordinator,
// which `distdb node` runs, and `distdb restore`), naming the flags.

import { parsePeerAddress } from '../../peer/address.js';
import type { NodeId } from '../../raft/types.js';

/** Why node `id` cannot start with these `peers` and `join`, or null. */
export function peersProblem(opts: {
  id: NodeId;
  peers: Readonly<Record<NodeId, string>> | null;
  join: string | null;
}): string | null {
  const { id, peers, join } = opts;
  if (peers === null) return null;
  if (join !== null) {
    return 'give either --peers (a new cluster) or --join (join an existing one), not both';
  }
  if (Object.keys(peers).length === 0) return '--peers (NODE_PEERS) is empty';
  if (peers[id] === undefined) return peersLackNode(id, peers);
  for (const [peer, address] of Object.entries(peers)) {
    try {
      parsePeerAddress(address, `node ${peer} in --peers`);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

/**
 * Why `peers` cannot start node `id`: left out, it would bootstrap a cluster
 * without itself, and the leader would call it removed.
 */
function peersLackNode(id: NodeId, peers: Readonly<Record<NodeId, string>>): string {
  return (
    `--peers must include this node (--id ${id}) as ${id}=host:peerport, the address the others reach it at; ` +
    `it names ${Object.keys(peers).join(', ')}. To add a node to a running cluster, start it with ` +
    `--join <host:peerport of a member> instead`
  );
}
