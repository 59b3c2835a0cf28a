// Whether this node, when outside the membership it has applied, is joining
// (the log or snapshot that adds it is on its way: its requests wait for it)
// or was removed (its requests are refused). It was removed once it has been
// a member: of the membership it loaded (wasMember in raft-disk.ts reads that
// from its Raft state) or of any it applied since, or named by a conf change
// it applied. The last matters when several changes take effect at once:
// the membership after an addition and a removal of this node, applied in
// one batch, never shows it, but only a member can be removed. A node
// removed before anything of its addition reached it learns it from the
// leader instead (membership-check.ts): no member sends it the log.

import type { ConfChange, ConfState, NodeId } from '../../raft/types.js';

export class OwnMembership {
  private everMember = false;
  /** The leader said this node is not a member (it never heard of its addition). */
  private leaderSaysOut = false;

  constructor(private readonly id: NodeId) {}

  /** The Raft state was (re)loaded: whether it says this node was ever a member. */
  loaded(wasMember: boolean): void {
    this.everMember = wasMember;
  }

  /** A membership now in effect (loaded, installed with a snapshot, or after a change). */
  noteConf(conf: ConfState): void {
    if (isIn(this.id, conf)) {
      this.everMember = true;
      this.leaderSaysOut = false;
    }
  }

  /** A conf change applied (each one, before the membership they lead to is noted). */
  noteChange(cc: ConfChange): void {
    if (cc.node === this.id) this.everMember = true;
  }

  /** What the leader answered when asked whether this node is a member. */
  noteLeaderAnswer(member: boolean): void {
    this.leaderSaysOut = !member;
  }

  /** Outside `conf` and never a member: joining, or told by the leader that it is none. */
  outsideNeverMember(conf: ConfState): boolean {
    return !this.everMember && !isIn(this.id, conf);
  }

  /** Outside `conf` having been a member, or told by the leader that it is none. */
  removedFrom(conf: ConfState): boolean {
    return (
      (this.everMember || this.leaderSaysOut) && conf.voters.length > 0 && !isIn(this.id, conf)
    );
  }

  /** Removed only because the leader said so: nothing of its addition reached it. */
  get toldOut(): boolean {
    return this.leaderSaysOut && !this.everMember;
  }
}

function isIn(id: NodeId, conf: ConfState): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}
