// Deliberate bugs the simulator can inject, so tests can show that its
// invariant checks and the linearizability checker really say no.

import type { NodeId } from '../raft/types.js';

export interface SimBugs {
  /** This node's state machine silently skips some puts. */
  dropWritesOn?: NodeId;
  /** Nodes acknowledge a write once proposed, before it commits. */
  ackOnPropose?: boolean;
  /** Nodes serve reads from local state, without ReadIndex. */
  localReads?: boolean;
  /** Leaders' appends tell followers that everything they carry is committed. */
  inflateCommit?: boolean;
  /** The disk does not keep the vote: after a crash a node may vote twice in a term. */
  forgetVote?: boolean;
  /** Followers acknowledge snapshot chunks before the pieces are durably staged. */
  ackSnapshotEarly?: boolean;
}
