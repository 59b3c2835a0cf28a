// The omniscient observer of a simulated run. Nodes report what they persist,
// whom they believe leads, and what they apply; the monitor throws a
// SafetyViolation the moment one of Raft's safety properties breaks:
//   - election safety: at most one leader per term;
//   - log matching: entries with the same index and term hold the same data
//     and follow the same previous term (so, by induction, equal prefixes);
//   - leader completeness: a leader holds every entry committed before its term;
//   - state machine safety: no two nodes apply different entries at an index;
//   - every node's applied state equals a replay of the committed log.

import { decodeProposal } from '../kv/codec.js';
import type { Entry, NodeId, SnapshotChunk } from '../raft/types.js';
import type { FakeDisk } from './disk.js';
import { KvState, hashImage } from './kv-image.js';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
  constructor(
    readonly property: string,
    readonly detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}

interface EntryId {
  hash: number;
  prevTerm: number;
}

interface Committed {
  term: number;
  hash: number;
}

/** An index as first committed: by a leader of `commitTerm`, holding an entry of `entryTerm`. */
interface CommitRecord {
  entryTerm: number;
  commitTerm: number;
}

export interface LeaderView {
  id: NodeId;
  term: number;
  log: FakeDisk;
}

export class SafetyMonitor {
  private readonly leaders = new Map<number, NodeId>();
  private readonly entryIds = new Map<string, EntryId>();
  /** By index: who committed it first (a leader's commit index passing it). */
  private readonly commits: Array<CommitRecord | undefined> = [];
  private commitHighWater = 0;
  /** By index: the entry first applied there. */
  private readonly committed: Array<Committed | undefined> = [];
  /** The reference state machine, replaying the committed log in index order. */
  private readonly reference = new KvState();
  /** By index: hash of the reference state after applying it (index 0: empty). */
  private readonly refHashes: number[] = [hashImage(this.reference.image())];
  /** `clientId:seq` of every session write the committed log applied. */
  readonly appliedWrites = new Set<string>();
  checks = 0;
  snapshotsInstalled = 0;
  snapshotsDropped = 0;
  /** Chunks a leader read for a follower, and reads refused as if the snapshot had moved (lazySnapshots). */
  snapshotChunksRead = 0;
  snapshotChunkReadsRefused = 0;

  /**
   * A follower acknowledges snapshot bytes only once they are durably
   * staged (or installed): an acknowledgment must never cover bytes a crash
   * could lose, or the leader would skip them.
   */
  onSnapshotAck(id: NodeId, ack: SnapshotChunk, disk: FakeDisk): void {
    const { index } = ack.metadata;
    const staged = disk.staged;
    const durable =
      (disk.snapshot?.metadata.index ?? 0) >= index
        ? ack.total
        : staged !== null && staged.metadata.index === index
          ? staged.bytes
          : 0;
    if (ack.offset > durable) {
      throw new SafetyViolation(
        'snapshot-ack',
        `${id} acknowledged ${ack.offset} bytes of snapshot ${index} with ${durable} durably staged`,
      );
    }
  }

  constructor(private readonly currentLeaders: () => LeaderView[]) {}

  /** Terms that had a leader. */
  get leaderTerms(): number {
    return this.leaders.size;
  }

  get committedIndex(): number {
    return this.refHashes.length - 1;
  }

  onLeader(id: NodeId, term: number, log: FakeDisk): void {
    this.checks++;
    const other = this.leaders.get(term);
    if (other !== undefined && other !== id) {
      throw new SafetyViolation(
        'election safety',
        `${other} and ${id} are both leader of term ${term}`,
      );
    }
    this.leaders.set(term, id);
    for (let i = log.firstIndex; i <= this.commitHighWater; i++) this.checkHolds(id, term, log, i);
  }

  /** A leader of `term` reports commit index `commit`; `log` is its log. */
  onLeaderCommit(id: NodeId, term: number, commit: number, log: FakeDisk): void {
    for (let i = this.commitHighWater + 1; i <= commit; i++) {
      // Below the leader's snapshot the entry is gone from its log; what was applied there tells.
      const entryTerm = i < log.firstIndex ? this.committed[i]?.term : log.term(i);
      if (entryTerm === undefined) {
        if (i < log.firstIndex) continue;
        throw new SafetyViolation(
          'log',
          `${id}, leader of term ${term}, commits index ${i} it does not hold`,
        );
      }
      this.commits[i] = { entryTerm, commitTerm: term };
      for (const leader of this.currentLeaders()) {
        if (leader.term > term) this.checkHolds(leader.id, leader.term, leader.log, i);
      }
    }
    this.commitHighWater = Math.max(this.commitHighWater, commit);
  }

  /** `log` is the node's log after appending `entries`. */
  onAppend(id: NodeId, entries: Entry[], log: FakeDisk): void {
    for (const e of entries) {
      const prevTerm = log.term(e.index - 1);
      if (prevTerm === undefined) continue; // compacted away under a snapshot
      this.checks++;
      const key = `${e.index}:${e.term}`;
      const hash = entryHash(e);
      const seen = this.entryIds.get(key);
      if (!seen) {
        this.entryIds.set(key, { hash, prevTerm });
      } else if (seen.hash !== hash || seen.prevTerm !== prevTerm) {
        throw new SafetyViolation(
          'log matching',
          `${id} holds an entry at index ${e.index} term ${e.term} that differs from another ` +
            `node's (data hash ${hash} vs ${seen.hash}, previous term ${prevTerm} vs ${seen.prevTerm})`,
        );
      }
    }
  }

  onApplyEntry(id: NodeId, e: Entry): void {
    this.checks++;
    const hash = entryHash(e);
    const known = this.committed[e.index];
    if (known) {
      if (known.term !== e.term || known.hash !== hash) {
        throw new SafetyViolation(
          'state machine safety',
          `${id} applied index ${e.index} term ${e.term}, but another node applied term ` +
            `${known.term} there (data hash ${hash} vs ${known.hash})`,
        );
      }
      return;
    }
    if (e.index !== this.committedIndex + 1) {
      throw new SafetyViolation(
        'state machine safety',
        `${id} applied index ${e.index} before any node applied index ${this.committedIndex + 1}`,
      );
    }
    this.committed[e.index] = { term: e.term, hash };
    this.replay(e);
  }

  /** After a node applied a batch (or restored a snapshot) up to `applied`. */
  onApplied(id: NodeId, applied: number, stateHash: number): void {
    this.checks++;
    const expected = this.refHashes[applied];
    if (expected === undefined) {
      throw new SafetyViolation(
        'state machine safety',
        `${id} claims applied index ${applied}, beyond anything committed (${this.committedIndex})`,
      );
    }
    if (expected !== stateHash) {
      throw new SafetyViolation(
        'applied state',
        `${id}'s state at applied index ${applied} differs from a replay of the committed log`,
      );
    }
  }

  private replay(e: Entry): void {
    if (e.type === 'normal' && e.data.length > 0) {
      const p = decodeProposal(e.data);
      const r = this.reference.apply(p, e.index);
      if (p.session && r.op !== 'session-expired') {
        this.appliedWrites.add(`${p.session.clientId}:${p.session.seq}`);
      }
    }
    this.refHashes.push(hashImage(this.reference.image()));
  }

  /** Leader completeness: a leader of `term` holds what was committed in earlier terms. */
  private checkHolds(id: NodeId, term: number, log: FakeDisk, index: number): void {
    const c = this.commits[index];
    if (!c || c.commitTerm >= term || index < log.firstIndex) return;
    const has = log.term(index);
    if (has !== c.entryTerm) {
      throw new SafetyViolation(
        'leader completeness',
        `${id}, leader of term ${term}, ` +
          (has === undefined ? `lacks` : `has term ${has} at`) +
          ` index ${index}, committed in term ${c.commitTerm} with an entry of term ${c.entryTerm}`,
      );
    }
  }
}

function entryHash(e: Entry): number {
  return (hashImage(e.data) ^ (e.type === 'normal' ? 0 : 0x5bd1e995)) >>> 0;
}
