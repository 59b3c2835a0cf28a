// Membership of the group: CLUSTER ADD / REMOVE / TRANSFER-LEADER (run on
// the leader; a follower forwards them), joining (--join), promoting a
// caught-up learner to voter, learning members' client addresses and entry
// rooms and telling them this node's (entry-rooms.ts), and CLUSTER STATUS.

import { setTimeout as sleep } from 'node:timers/promises';
import { PeerRequestError } from '../../peer/index.js';
import type { ConfChange, ConfState, NodeId } from '../../raft/types.js';
import { CommandError } from '../command-error.js';
import {
  bookFromJson,
  bookToJson,
  decodeMemberContext,
  encodeMemberContext,
  mergeBook,
  type AddressBook,
  type MemberAddress,
} from './address-book.js';
import { mayHaveTakenEffect } from './attempt-outcome.js';
import { adminClusterDown, tryAgain } from './client-failure.js';
import type { ClusterNode } from './cluster-node.js';
import { askAtTick, MemberAnswers } from './info-cadence.js';
import {
  joinRefusal,
  roomFromContext,
  roomFromJson,
  roomToJson,
  type EntryRoom,
} from './entry-rooms.js';
import {
  encodeRpc,
  parseRpcError,
  rpcError,
  rpcJson,
  RpcTag,
  type AdminOp,
  type AdminRequest,
  type JoinRequest,
  type MemberAnswer,
} from './peer-rpc.js';
import { NotLeaderError, ProposalRefusedError } from './replication-errors.js';
import { electionTimeoutMs } from './replication-settings.js';
import type { ClusterStatus, MemberStatus } from './replication.js';

/**
 * A learner this close to the commit index counts as caught up: under a
 * steady load its match trails the commit by a round trip's worth of entries.
 */
const PROMOTE_MAX_LAG = 100;

/** How long a node that (re)loads waits for the members to take its room (announceRoom). */
const ROOM_NOTICE_MS = 1000;

/** What the user typed for each admin operation, for the replies that name it. */
const ADMIN_COMMAND: Record<AdminOp, string> = {
  add: 'CLUSTER ADD',
  remove: 'CLUSTER REMOVE',
  'transfer-leader': 'CLUSTER TRANSFER-LEADER',
};

export class Membership {
  private promoting = false;
  private ticks = 0;
  private readonly asking = new Set<NodeId>();
  /** What the members' I answers said, or that they did not answer (info-cadence.ts). */
  private readonly answers = new MemberAnswers();

  constructor(private readonly node: ClusterNode) {}

  /** Called every tick while the driver runs. */
  tick(): void {
    this.maybePromote();
    this.askMembers(++this.ticks);
  }

  /** The membership, set at every change, snapshot and load. */
  noteConf(conf: ConfState): void {
    this.answers.noteConf(conf);
  }

  noteContext(cc: ConfChange): void {
    if (cc.type === 'remove') return;
    const addr = decodeMemberContext(cc.context);
    if (addr) mergeBook(this.node.book, new Map([[cc.node, addr]]));
    const room = roomFromContext(cc.context);
    if (room !== null) this.node.noteRoom(cc.node, room);
  }

  /**
   * A learner whose log has (nearly) caught up with the commit index becomes
   * a voter. Only once it has answered: a new learner's match is 0 (and it
   * counts as recently active from the start), so on a log shorter than
   * PROMOTE_MAX_LAG a node that never ran would otherwise be made a voter at
   * the next tick, and a missing voter brings the cluster one failure closer
   * to losing its majority.
   *
   * Not while a conf change of this leader is yet to take effect here: the
   * core would refuse it (conf-change-in-progress). A promotion resolves when
   * committed, before it takes effect here, so without this every tick
   * until then would propose it again and log its refusal.
   */
  private maybePromote(): void {
    const d = this.node.driver;
    if (!d || d.role !== 'leader' || this.promoting) return;
    const st = d.status();
    if (st.pendingConfIndex > st.applied) return;
    for (const id of st.conf.learners) {
      const pr = st.progress?.[id];
      if (!pr || !pr.recentActive || pr.match === 0) continue;
      if (st.commit - pr.match > PROMOTE_MAX_LAG) continue;
      this.promoting = true;
      const addr = this.node.book.get(id) ?? { peer: '', client: null };
      this.node.log.info({ learner: id, match: pr.match }, 'learner caught up; promoting it');
      d.proposeConfChange(
        { type: 'add-voter', node: id, context: encodeMemberContext(addr) },
        this.node.settings.requestTimeoutMs,
      )
        .catch((err: Error) => this.node.log.info({ err: err.message }, 'promotion not done yet'))
        .finally(() => (this.promoting = false));
      return;
    }
  }

  /** Asks the members due at tick `tick` (info-cadence.ts) for their client address and entry room. */
  private askMembers(tick: number): void {
    const t = this.node.transport;
    if (!t) return;
    for (const id of [...this.node.conf.voters, ...this.node.conf.learners]) {
      const a = this.node.book.get(id);
      if (id === this.node.id || !a || this.asking.has(id)) continue;
      const known = { clientKnown: a.client !== null, roomKnown: this.node.rooms.get(id) !== null };
      if (!askAtTick(tick, this.answers.info(id, known))) continue;
      this.asking.add(id);
      t.request(id, encodeRpc(RpcTag.info, null), 2000)
        .then((reply) => {
          const info = rpcJson<{ client?: unknown; room?: unknown; frame?: unknown }>(reply);
          this.answers.answered(id, info);
          const cur = this.node.book.get(id);
          if (cur && typeof info.client === 'string') cur.client = info.client;
          const room = roomFromJson(info);
          if (room !== null) this.node.noteRoom(id, room);
        })
        .catch(() => this.answers.failed(id, this.ticks))
        .finally(() => this.asking.delete(id));
    }
  }

  /**
   * Tells every other member this node's entry room (R request) as it
   * (re)loads its Raft state: its engine may be back with a smaller frame,
   * which they would otherwise learn only at their next round of I requests
   * (info-cadence.ts), the leader accepting meanwhile writes this node cannot
   * store. Resolves once each has answered or failed (at most ROOM_NOTICE_MS);
   * one that missed it asks at its next round.
   */
  async announceRoom(): Promise<void> {
    const t = this.node.transport;
    const room = this.node.ownRoom();
    if (!t || room === null) return;
    const notice = encodeRpc(RpcTag.room, roomToJson(room));
    const { voters, learners } = this.node.conf;
    const others = [...voters, ...learners].filter((id) => id !== this.node.id);
    // A member of a version before R answers with an error: it learns at its next round.
    await Promise.all(others.map((id) => t.request(id, notice, ROOM_NOTICE_MS).catch(() => null)));
  }

  /** A new node: asks the member at `address` to add it; resolves with the address book. */
  async join(address: string): Promise<{ book: AddressBook; conf: ConfState }> {
    const req: JoinRequest = {
      id: this.node.id,
      peer: this.node.peerAddress,
      client: this.node.clientAddress,
      ...this.node.opts.joinLogin,
      ...roomToJson(this.node.ownRoom()),
    };
    let lastError = '';
    for (;;) {
      try {
        const reply = await this.node.transport!.requestAt(
          address,
          encodeRpc(RpcTag.join, req),
          10_000,
        );
        const answer = rpcJson<{ book: unknown; conf?: Partial<ConfState> }>(reply);
        const book = bookFromJson(answer.book);
        const conf: ConfState = {
          voters: Array.isArray(answer.conf?.voters) ? answer.conf.voters.map(String) : [],
          learners: Array.isArray(answer.conf?.learners) ? answer.conf.learners.map(String) : [],
        };
        this.node.log.info({ via: address, members: [...book.keys()] }, 'joined the cluster');
        return { book, conf };
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== lastError) {
          this.node.log.warn(`cannot join the cluster through ${address} yet: ${msg}; retrying`);
          lastError = msg;
        }
        await sleep(1000);
      }
    }
  }

  // ---- admin, on the leader ---------------------------------------------

  add(id: NodeId, peer: string): Promise<void> {
    return this.onLeader({ op: 'add', id, peer });
  }

  remove(id: NodeId): Promise<void> {
    return this.onLeader({ op: 'remove', id });
  }

  transfer(id: NodeId): Promise<void> {
    return this.onLeader({ op: 'transfer-leader', id });
  }

  /**
   * Runs an admin request on the leader: here if this node leads, else
   * forwarded. After an attempt that may have taken effect (its answer was
   * lost, e.g. when the leader it went to was the node removed), the next
   * ones say so (`retry`), so a leader that finds the change already made
   * answers OK rather than an error about a state the request itself reached.
   */
  private async onLeader(first: AdminRequest): Promise<void> {
    let req = first;
    const deadline = Date.now() + this.adminTimeoutMs();
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.notDone(req);
      const d = this.node.driver;
      try {
        if (d?.role === 'leader') return await this.runAdmin(req);
        if (d && d.leader !== null && d.leader !== this.node.id) {
          await this.node.transport!.request(d.leader, encodeRpc(RpcTag.admin, req), remaining);
          return;
        }
        // Leaderless for longer than an election timeout: a majority is out of
        // reach, so say so now, as writes and reads do, rather than wait out the deadline.
        if (this.node.noLeaderFor() !== null) throw this.notDone(req);
        await this.node.waitForLeader(Math.min(remaining, 200));
        continue;
      } catch (err) {
        if (err instanceof CommandError) throw err;
        if (err instanceof PeerRequestError && err.code === 'remote') {
          const { code, text } = parseRpcError(err.message);
          if (code === 'INVALID') throw new CommandError(text);
        }
        if (!(err instanceof NotLeaderError || err instanceof ProposalRefusedError)) {
          this.node.log.info({ err: (err as Error).message, req }, 'admin request retried');
        }
        if (mayHaveTakenEffect(err)) req = { ...first, retry: true };
      }
      await sleep(100);
    }
  }

  /** How long an admin command is tried: twice the request timeout, leader changes included. */
  private adminTimeoutMs(): number {
    return this.node.settings.requestTimeoutMs * 2;
  }

  /** Why `req` was given up: CLUSTERDOWN when no leader is known for long, else TRYAGAIN. */
  private notDone(req: AdminRequest): CommandError {
    const command = ADMIN_COMMAND[req.op];
    const down = this.node.noLeaderFor();
    if (down !== null) return adminClusterDown(down, command, req.retry === true);
    // A leader was known, but the attempts kept failing over to a new one or
    // timing out: an election, or a leader too busy to answer.
    const within = `${command} did not complete within ${this.adminTimeoutMs() / 1000} s (the leader changed or did not answer in time)`;
    return new CommandError(
      req.retry === true
        ? `TRYAGAIN ${within}; it may or may not have taken effect: check CLUSTER STATUS before retrying`
        : `TRYAGAIN ${within}; it was not carried out: retry it`,
    );
  }

  /** This node leads: carries out `req` (CommandError when it is invalid). */
  async runAdmin(req: AdminRequest): Promise<void> {
    const { voters, learners } = this.node.conf;
    const isMember = voters.includes(req.id) || learners.includes(req.id);
    const timeout = this.node.settings.requestTimeoutMs;
    const d = this.node.driver;
    if (!d || d.role !== 'leader') throw new NotLeaderError(d?.leader ?? null);
    switch (req.op as AdminOp) {
      case 'add': {
        if (voters.includes(req.id)) {
          // An earlier attempt added it, and it was promoted since (caught up).
          if (req.retry === true && this.node.book.get(req.id)?.peer === req.peer) return;
          throw new CommandError(`ERR node ${req.id} is already a voter`);
        }
        if (learners.includes(req.id)) {
          // Added before (or by an earlier attempt): done, if at this address.
          const peer = this.node.book.get(req.id)?.peer;
          if (peer === undefined || peer === req.peer) return;
          throw new CommandError(
            `ERR node ${req.id} is already a learner at ${peer}; remove it first to add it at ${req.peer ?? '?'}`,
          );
        }
        await this.addLearner(req.id, { peer: req.peer ?? '', client: null }, timeout);
        return;
      }
      case 'remove':
        if (!isMember) {
          if (req.retry === true) return; // an earlier attempt removed it
          throw new CommandError(`ERR node ${req.id} is not a member`);
        }
        if (voters.length === 1 && voters[0] === req.id) {
          throw new CommandError(`ERR node ${req.id} is the last voter and cannot be removed`);
        }
        await d.proposeConfChange(
          { type: 'remove', node: req.id, context: new Uint8Array(0) },
          timeout,
        );
        return;
      case 'transfer-leader': {
        if (!voters.includes(req.id)) {
          // The target may show a promotion this leader has not yet applied
          // (the commit reaches both at once): ask again once it has (onLeader).
          const st = d.status();
          if (st.pendingConfIndex > st.applied) {
            throw new ProposalRefusedError('conf-change-in-progress');
          }
          throw new CommandError(`ERR node ${req.id} is not a voter; only voters can lead`);
        }
        if (req.id === this.node.id) return;
        d.transferLeader(req.id);
        const until = Date.now() + 2 * electionTimeoutMs(this.node.settings);
        while (Date.now() < until) {
          const cur = this.node.driver;
          if (cur && cur.leader === req.id) return;
          await this.node.waitForLeader(until - Date.now());
        }
        throw tryAgain(
          `leadership did not move to ${req.id} in time (is it running and caught up?)`,
          'not-transferred',
        );
      }
      default:
        throw new CommandError(`ERR unknown cluster operation ${String(req.op)}`);
    }
  }

  /** Proposes `id` as a learner; its context carries `room`, so every member counts it (noteContext). */
  async addLearner(
    id: NodeId,
    addr: MemberAddress,
    timeoutMs: number,
    room: EntryRoom | null = null,
  ): Promise<void> {
    if (!addr.peer) throw new CommandError(`ERR node ${id} needs a peer address (host:port)`);
    const d = this.node.driver;
    if (!d) throw new NotLeaderError(null);
    const context = encodeMemberContext({ ...addr, ...roomToJson(room) });
    try {
      await d.proposeConfChange({ type: 'add-learner', node: id, context }, timeoutMs);
    } catch (err) {
      if (err instanceof Error && err.constructor === Error) {
        throw new CommandError(`ERR ${err.message}`); // invalid for the membership
      }
      throw err;
    }
  }

  /**
   * A joining node asks to be added; answers with the address book. Refused
   * when its engine could not store an entry of this leader's log, which
   * it would be sent (from the log since the last snapshot); else its room
   * counts from now on, before it is a member, so no write it could not
   * store is accepted meanwhile.
   */
  async admit(req: JoinRequest): Promise<Uint8Array> {
    const d = this.node.driver;
    if (!d || d.role !== 'leader') throw new NotLeaderError(d?.leader ?? null);
    const room = roomFromJson(req);
    if (room !== null) {
      const refusal = joinRefusal(req.id, room, d.largestEntryBytes);
      if (refusal !== null) throw rpcError('INVALID', refusal);
      this.node.noteRoom(req.id, room);
    }
    const { voters, learners } = this.node.conf;
    if (!voters.includes(req.id) && !learners.includes(req.id)) {
      await this.addLearner(
        req.id,
        { peer: req.peer, client: req.client },
        this.node.settings.requestTimeoutMs,
        room,
      );
    }
    // The log the new node receives starts from the group's first membership.
    const conf = this.node.genesisConf;
    return Buffer.from(JSON.stringify({ book: bookToJson(this.node.book), conf }));
  }

  /**
   * Whether `id` is a member, asked by a joining node (membership-check.ts).
   * Answered once this leader's conf changes are in effect, those committed
   * before its term included (its first entry applied): a node that got a
   * join answer was added by a committed change, so "no" then means removed.
   */
  memberAnswer(id: NodeId): Uint8Array {
    const d = this.node.driver;
    if (!d || d.role !== 'leader') throw new NotLeaderError(d?.leader ?? null);
    const st = d.status();
    if (st.pendingConfIndex > st.applied) throw new ProposalRefusedError('conf-change-in-progress');
    const member = st.conf.voters.includes(id) || st.conf.learners.includes(id);
    const answer: MemberAnswer = { member, leader: this.node.id };
    return Buffer.from(JSON.stringify(answer));
  }

  status(): ClusterStatus {
    const node = this.node;
    const d = node.driver;
    const own = {
      ...node.ownStanding(),
      reads: node.settings.readLease ? 'lease' : 'safe',
    } as const;
    if (!d) {
      return {
        id: node.id,
        role: 'follower',
        term: 0,
        leader: null,
        commit: 0,
        applied: 0,
        ...own,
        members: [],
      };
    }
    const st = d.status();
    const member = (id: NodeId, role: 'voter' | 'learner'): MemberStatus => {
      const a = node.book.get(id);
      const pr = st.progress?.[id];
      return {
        id,
        role,
        peer: a?.peer ?? null,
        client: a?.client ?? null,
        match: pr ? pr.match : null,
        lag: pr ? Math.max(0, st.lastIndex - pr.match) : null,
        entryRoom: (id === node.id ? node.ownRoom() : node.rooms.get(id))?.bytes ?? null,
        lazy: pr && id !== node.id ? d.lazyFollowers.has(id) : null,
      };
    };
    return {
      id: node.id,
      role: st.role,
      term: st.term,
      leader: st.leader,
      commit: st.commit,
      applied: d.appliedIndex,
      ...own,
      members: [
        ...st.conf.voters.map((id) => member(id, 'voter')),
        ...st.conf.learners.map((id) => member(id, 'learner')),
      ],
    };
  }
}
