// Whether this node, when outside the membership it has applied, is joining
// (the log or snapshot that adds it is on its way: its requests wait for it)
// or was removed (its requests are refused). It was removed once it has been
// a member: of the membership it loaded (wasMember in raft-disk.ts reads that
// from its Raft state) or of any it applied since, or named by a conf change
// it applied. The last matters when several changes take effect at once:
// the membership after an addition and a removal of this node, applied in
// one batch, never shows it, but only a member can be removed.

import type { ConfChange, ConfState, NodeId } from '../../raft/types.js';

export class OwnMembership {
  private everMember = false;

  constructor(private readonly id: NodeId) {}

  /** The Raft state was (re)loaded: whether it says this node was ever a member. */
  loaded(wasMember: boolean): void {
    this.everMember = wasMember;
  }

  /** A membership now in effect (loaded, installed with a snapshot, or after a change). */
  noteConf(conf: ConfState): void {
    if (isIn(this.id, conf)) this.everMember = true;
  }

  /** A conf change applied (each one, before the membership they lead to is noted). */
  noteChange(cc: ConfChange): void {
    if (cc.node === this.id) this.everMember = true;
  }

  /** Outside `conf` having been a member: removed, not joining. */
  removedFrom(conf: ConfState): boolean {
    return this.everMember && conf.voters.length > 0 && !isIn(this.id, conf);
  }
}

function isIn(id: NodeId, conf: ConfState): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}
