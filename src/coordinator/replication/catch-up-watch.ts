// Leader: which followers are being caught up, so that a compaction due
// meanwhile waits (RaftDriver.snapshotDue). A compaction replaces the stored
// snapshot being sent (the transfer starts over) and drops the log a
// follower goes on from once it installed it (it needs another): under
// writes, a catch-up longer than the compaction interval started over for
// ever. So a follower holds compactions for as long as it makes progress —
// its transfer's acknowledged bytes or its match index rise, the leader
// took or offered an image for it, or it says it is installing the snapshot
// (followerInstalling) — however long that takes,
// up to a limit on the held log's bytes (memory in the coordinator, disk in
// the engine). One that made no progress for stallMs holds nothing
// (stalled), nor one that is gone.
// Raft's recentActive cannot tell gone from busy: it is cleared at every
// check-quorum round (an election timeout) and set by the next message, so
// right after a round a follower that answers every heartbeat looks gone,
// and one installing a snapshot answers nothing until it is done. Hence
// what was seen over time, noted at every tick.

import type { NodeId, ProgressStatus } from '../../raft/types.js';

/**
 * What an entry of the held log costs beyond its payload: the coordinator's
 * entry object and buffer (about 250 bytes of RSS each for 40-byte
 * entries, measured) and its record in the engine's log files.
 */
export const HELD_ENTRY_OVERHEAD_BYTES = 200;

/** A due compaction's fate: held for `holders`, or taken (none, or past the limit). */
export interface HoldDecision {
  hold: boolean;
  holders: NodeId[];
  heldBytes: number;
  /** Followers hold it, but the held log reached the limit. */
  overLimit: boolean;
}

interface Seen {
  match: number;
  state: ProgressStatus['state'];
  snapshotAcked: number;
  /** When it last made progress (or was first seen). */
  advanced: number;
}

export class CatchUpWatch {
  /** When each follower was last seen recently active. */
  private readonly heard = new Map<NodeId, number>();
  /** When each follower was last seen being sent a snapshot, or said it was installing one. */
  private readonly snapshotting = new Map<NodeId, number>();
  private readonly seen = new Map<NodeId, Seen>();
  /** When this leader last took or offered a snapshot's image for a follower. */
  private prepared = -Infinity;

  /**
   * `roundMs`: a check-quorum round (electionTick ticks); `stallMs`: how long
   * a follower may make no progress (or be silent installing a snapshot,
   * between two of its installing messages) and still hold compactions;
   * `limitBytes`: the held log past which compactions are held no longer.
   */
  constructor(
    private readonly self: NodeId,
    private readonly roundMs: number,
    private readonly stallMs: number,
    private readonly limitBytes: number,
  ) {}

  /**
   * A compaction is due with `entries` (of `payloadBytes`) since the last
   * snapshot: whether it waits for the followers catching up.
   */
  decide(
    progress: Readonly<Record<NodeId, ProgressStatus>>,
    submitted: number,
    entries: number,
    payloadBytes: number,
    now: number,
  ): HoldDecision {
    const holders = this.holders(progress, submitted, now);
    const heldBytes = payloadBytes + entries * HELD_ENTRY_OVERHEAD_BYTES;
    const overLimit = holders.length > 0 && heldBytes >= this.limitBytes;
    return { hold: holders.length > 0 && !overLimit, holders, heldBytes, overLimit };
  }

  /** At every tick on a leader. */
  observe(progress: Readonly<Record<NodeId, ProgressStatus>>, now: number): void {
    for (const [id, pr] of Object.entries(progress)) {
      if (pr.recentActive) this.heard.set(id, now);
      if (pr.state === 'snapshot') this.snapshotting.set(id, now);
      const was = this.seen.get(id);
      const advanced =
        was === undefined ||
        pr.match > was.match ||
        (pr.state === 'snapshot' &&
          (was.state !== 'snapshot' || pr.snapshotAcked > was.snapshotAcked));
      this.seen.set(id, {
        match: pr.match,
        state: pr.state,
        snapshotAcked: pr.snapshotAcked,
        advanced: advanced ? now : (was?.advanced ?? now),
      });
    }
  }

  /** A follower said it is installing a snapshot from this leader: it is busy, not gone. */
  followerInstalling(id: NodeId, now: number): void {
    this.snapshotting.set(id, now);
    const was = this.seen.get(id);
    if (was !== undefined) was.advanced = now;
  }

  /**
   * An image was taken or offered for a follower that needs it: progress of
   * every follower lacking entries (Raft does not say which asked), which
   * may have waited long for it (the engine copies a large image for
   * minutes) and enters snapshot state only at its next heartbeat answer.
   */
  snapshotPrepared(now: number): void {
    this.prepared = now;
  }

  /**
   * The followers that hold compactions: being sent the snapshot, or lacking
   * entries up to `submitted` (the applied index) that they were not sent
   * (installed a snapshot, or restarted), while making progress (within
   * stallMs) and not gone: heard from within the last round, or being sent
   * or installing a snapshot within stallMs. Being sent one needs no such
   * check: Raft gives a transfer up after an election timeout without an
   * answer (tendSnapshotSend); the follower may then still be installing it.
   */
  holders(
    progress: Readonly<Record<NodeId, ProgressStatus>>,
    submitted: number,
    now: number,
  ): NodeId[] {
    const holders: NodeId[] = [];
    for (const [id, pr] of Object.entries(progress)) {
      if (id === this.self) continue;
      if (pr.state !== 'snapshot' && pr.next > submitted) continue;
      const advanced = Math.max(this.seen.get(id)?.advanced ?? -Infinity, this.prepared);
      if (now - advanced >= this.stallMs) continue;
      if (
        pr.state === 'snapshot' ||
        pr.recentActive ||
        now - (this.heard.get(id) ?? -Infinity) < this.roundMs ||
        now - (this.snapshotting.get(id) ?? -Infinity) < this.stallMs
      ) {
        holders.push(id);
      }
    }
    return holders;
  }
}
