// A joining node asks the leader whether it is a member. Its membership
// lacks it until the log or snapshot that adds it arrives, and a node removed
// before that would wait for ever: no member sends anything to a node it does
// not count. So while outside its membership and never a member, every
// CHECK_EVERY_TICKS it asks (M request, peer-rpc.ts) the leader it knows, or
// else the members of its address book in turn, which relay to theirs. A
// "no" makes it refuse requests as a removed node and say what to do; a
// later "yes" (added again) makes it wait for the log again. Asking is all
// it does: no Raft message, no vote, so the cluster is not disturbed.

import type { NodeId } from '../../raft/types.js';
import type { ClusterNode } from './cluster-node.js';
import { encodeRpc, rpcJson, RpcTag, type MemberAnswer } from './peer-rpc.js';

/** Ticks between two questions (2 s): a joining node catching up asks a few times, cheaply. */
const CHECK_EVERY_TICKS = 20;
const CHECK_TIMEOUT_MS = 2000;

export class MembershipCheck {
  private ticks = 0;
  private asking = false;
  /** Which member of the address book to ask next, when no leader is known. */
  private turn = 0;
  /** Who said this node is not a member; null while it was not told so. */
  private toldBy: NodeId | null = null;

  constructor(private readonly node: ClusterNode) {}

  /** Called every tick while the driver runs. */
  tick(): void {
    if (++this.ticks % CHECK_EVERY_TICKS !== 1 || this.asking) return;
    const node = this.node;
    const t = node.transport;
    const d = node.driver;
    if (!t || !d || !node.own.outsideNeverMember(node.conf)) return;
    const to = d.leader !== null && d.leader !== node.id ? d.leader : this.nextMember();
    if (to === null) return;
    this.asking = true;
    t.request(to, encodeRpc(RpcTag.member, { id: node.id }), CHECK_TIMEOUT_MS)
      .then((reply) => this.answered(rpcJson<MemberAnswer>(reply)))
      .catch((err: Error) => node.log.debug({ to, err: err.message }, 'membership check failed'))
      .finally(() => (this.asking = false));
  }

  /** The sentence for the log and CLUSTER STATUS while the leader says this node is not a member. */
  notice(): string | null {
    if (this.toldBy === null || !this.node.own.toldOut) return null;
    const { id, peerAddress } = this.node;
    return (
      `node ${id} is not a member of the cluster: its leader ${this.toldBy} says so. It was removed ` +
      `(CLUSTER REMOVE ${id}) before it heard of its addition, and serves no requests. To make it a ` +
      `member, run CLUSTER ADD ${id} ${peerAddress} on any member (it then catches up); or stop it, ` +
      `empty its data dir, and start it with --join to join afresh`
    );
  }

  private answered(a: MemberAnswer): void {
    const node = this.node;
    if (typeof a.member !== 'boolean') return;
    const was = node.own.toldOut;
    node.own.noteLeaderAnswer(a.member);
    if (a.member) {
      if (was)
        node.log.info({ leader: a.leader }, 'the leader says this node is a member again; joining');
      this.toldBy = null;
      return;
    }
    this.toldBy = typeof a.leader === 'string' ? a.leader : '?';
    if (!was) {
      node.log.error(this.notice());
      node.driver?.failReads('this node is not a member of the cluster');
    }
  }

  private nextMember(): NodeId | null {
    const ids = [...this.node.book.keys()].filter((id) => id !== this.node.id);
    if (ids.length === 0) return null;
    return ids[this.turn++ % ids.length] ?? null;
  }
}
