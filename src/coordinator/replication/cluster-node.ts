// A node's membership in its Raft group: the peer transport, the Raft driver
// built from what the storage engine holds (rebuilt whenever the engine
// restarts), the address book, and the routing of client requests: a write
// is proposed here when this node leads and forwarded to the leader
// otherwise, retried in the same client session across leader changes (so it
// is applied at most once); a linearizable read waits for a ReadIndex.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { decodeResult, encodeProposal } from '../../kv/codec.js';
import type { KvCommand, KvResult, Proposal } from '../../kv/types.js';
import { PeerRequestError, startPeerTransport, type PeerTransport } from '../../peer/index.js';
import type { ConfChange, ConfState, NodeId, Role } from '../../raft/types.js';
import type { TlsMaterial } from '../../tls/index.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { FailedAuthLog } from '../auth/failed-auth-log.js';
import { CommandError } from '../command-error.js';
import type { ReplicationMetrics } from '../metrics/replication-metrics.js';
import type { StorageLink } from '../storage-link.js';
import { keepOnly, mergeBook, type AddressBook } from './address-book.js';
import { mayHaveTakenEffect } from './attempt-outcome.js';
import { EntryOverFrameError } from './batch-parts.js';
import { EntryRooms, linkRoom, type EntryLimit, type EntryRoom } from './entry-rooms.js';
import { LeaderHistory, type LeaderChange } from './leader-history.js';
import {
  clusterDown,
  invalidWrite,
  removedNode,
  sessionSuperseded,
  tryAgain,
  type Outcome,
  type ReadOutcome,
  type WriteOutcome,
} from './client-failure.js';
import { Membership } from './membership.js';
import { MembershipCheck } from './membership-check.js';
import { OwnMembership } from './own-membership.js';
import { PeerRequests } from './peer-requests.js';
import { encodeRpc, parseRpcError, rpcJson, RpcTag } from './peer-rpc.js';
import { RaftDriver } from './raft-driver.js';
import {
  EmptyRaftState,
  loadRaftState,
  wasMember,
  writeBootstrap,
  type ReplicaStorage,
} from './raft-disk.js';
import {
  EntryTooLargeError,
  NotAppliedError,
  NotLeaderError,
  OutcomeUnknownError,
  ProposalRefusedError,
  ReplicaUnavailableError,
} from './replication-errors.js';
import {
  electionTimeoutMs,
  KEYSPACE_RAFT_GROUP,
  PEER_MAX_FRAME_BYTES,
  type ReplicationSettings,
} from './replication-settings.js';
import {
  READ_NOW,
  type ClusterStatus,
  type Replication,
  type ReplicationClient,
} from './replication.js';

export interface ClusterOptions {
  id: NodeId;
  clusterId: string;
  /** Address peers reach this node at (also where it listens for them). */
  peerHost: string;
  peerPort: number;
  /** Initial voters (id → peer address), used only to bootstrap an empty data dir; null: just this node. */
  peers: Record<NodeId, string> | null;
  /** Peer address of a member to ask for admission (a new node); null: none. */
  join: string | null;
  /** The admin credentials a join request carries (a cluster that requires logins wants them). */
  joinLogin?: { user: string; password: string } | null;
  settings: ReplicationSettings;
  /** Mutual TLS between the nodes (docs/peer-protocol.md, "TLS"); absent: plain TCP. */
  tls?: TlsMaterial | undefined;
  /** Why this node's storage engine last stopped, as it said (distdb node's supervisor); null: it did not. */
  storageStopped?: () => string | null;
}

/** Delay between attempts while waiting for a leader or retrying a request. */
const RETRY_MS = 50;
/** Delay before reloading after an entry this node's engine cannot store: a reload alone cannot help. */
const OVER_FRAME_RELOAD_MS = 5000;

export class ClusterNode implements Replication {
  transport: PeerTransport | null = null;
  driver: RaftDriver | null = null;
  /** A driver stopped on a storage loss that waits to hand leadership over (raft-driver.ts, storageLost). */
  private handingOver: RaftDriver | null = null;
  readonly book: AddressBook = new Map();
  conf: ConfState = { voters: [], learners: [] };
  /** The membership the log starts from (bootstrap), told to joining nodes; empty once compacted away. */
  genesisConf: ConfState = { voters: [], learners: [] };
  private tickTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private loading = false;
  private loadedConnects = -1;
  private reloadAfter = 0;
  /** Joining or removed, when outside the membership; read from disk at every load. */
  readonly own: OwnMembership;
  /** While joining: asks the leader whether this node is a member at all. */
  private readonly membershipCheck: MembershipCheck;
  private noLeaderSince: number | null = Date.now();
  private leaderWaiters = new Set<() => void>();
  private readonly sessions = new WeakMap<ReplicationClient, { clientId: string; seq: number }>();
  /** Distinguishes this process's client sessions from those of earlier runs. */
  private readonly incarnation = randomBytes(6).toString('hex');
  private sessionGeneration = 0;
  clientAddress = '';
  /** This node's own figures, answered to members that ask (the coordinator sets it). */
  figures: () => Promise<object> = () => Promise.resolve({});
  private readonly leaders = new LeaderHistory();
  /** How large an entry each member's engine holds, as they said (entry-rooms.ts). */
  readonly rooms = new EntryRooms();
  /** The smallest of them, this node's included: every proposal must fit it. */
  private limit: EntryLimit | null = null;
  /** Entry sizes this node's engine could not store, already logged (once each). */
  private readonly overFrameLogged = new Set<number>();
  readonly membership: Membership;
  private readonly peerRequests: PeerRequests;
  /** Raft and membership log as component raft; the peer transport as peer. */
  readonly log: Logger;
  private readonly peerLog: Logger;

  constructor(
    readonly opts: ClusterOptions,
    private readonly link: StorageLink,
    rootLog: Logger,
    private readonly metrics: ReplicationMetrics,
    /** Who may join (admission needs an admin's login where logins are required). */
    readonly logins: { auth: Authenticator; failed: FailedAuthLog },
  ) {
    this.log = rootLog.child({ component: 'raft' });
    this.peerLog = rootLog.child({ component: 'peer' });
    this.own = new OwnMembership(opts.id);
    this.membership = new Membership(this);
    this.membershipCheck = new MembershipCheck(this);
    this.peerRequests = new PeerRequests(this);
  }

  get id(): NodeId {
    return this.opts.id;
  }

  get clusterId(): string {
    return this.opts.clusterId;
  }

  get settings(): ReplicationSettings {
    return this.opts.settings;
  }

  get requestTimeoutMs(): number {
    return this.opts.settings.requestTimeoutMs;
  }

  get peerAddress(): string {
    return `${this.opts.peerHost}:${this.transport?.address.port ?? this.opts.peerPort}`;
  }

  /** Listens for peers and starts loading the Raft state; `clientAddress` is where clients reach this node. */
  async start(clientAddress: string): Promise<void> {
    this.clientAddress = clientAddress;
    this.transport = await startPeerTransport({
      nodeId: this.id,
      clusterId: this.opts.clusterId,
      listen: { host: this.opts.peerHost, port: this.opts.peerPort },
      peers: {},
      onMessages: (msgs) => {
        const d = this.driver;
        if (d) for (const m of msgs) d.step(m);
        const r = this.handingOver;
        if (r?.handingOver) for (const m of msgs) r.step(m);
        else this.handingOver = null;
      },
      onRequest: (from, payload) => this.peerRequests.handle(from, payload),
      onUnreachable: (peer) => this.driver?.reportUnreachable(peer),
      logger: this.peerLog,
      limits: { maxFrameBytes: PEER_MAX_FRAME_BYTES },
      tls: this.opts.tls,
    });
    this.book.set(this.id, { peer: this.peerAddress, client: clientAddress });
    this.tickTimer = setInterval(() => this.tick(), this.settings.tickMs);
    this.tick();
  }

  /** New certificates for peer connections made from now on (SIGHUP reload). */
  setTls(material: TlsMaterial): void {
    this.transport?.setTls(material);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.driver?.stop('the node is shutting down');
    this.driver = null;
    await this.transport?.close();
  }

  private tick(): void {
    if (this.closed) return;
    const d = this.driver;
    if (d && (!this.link.connected || this.link.connects !== this.loadedConnects)) {
      this.log.warn('storage engine connection lost; reloading the raft state once it is back');
      d.storageLost('the storage engine restarted');
      this.retire(d);
      this.leaderChanged('follower', null);
    } else if (d) {
      d.tick();
      this.membership.tick();
      this.membershipCheck.tick();
    }
    if (!this.driver && !this.loading && this.link.connected && Date.now() >= this.reloadAfter) {
      void this.load();
    }
  }

  /** Drops a driver stopped on a storage loss; it may still be handing leadership over. */
  private retire(d: RaftDriver): void {
    this.driver = null;
    if (d.handingOver) this.handingOver = d;
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      const connects = this.link.connects;
      const storage = this.link.api() as ReplicaStorage;
      let loaded;
      try {
        loaded = await loadRaftState(storage, KEYSPACE_RAFT_GROUP);
      } catch (err) {
        if (!(err instanceof EmptyRaftState)) throw err;
        await this.bootstrap(storage);
        loaded = await loadRaftState(storage, KEYSPACE_RAFT_GROUP);
      }
      if (this.closed || connects !== this.link.connects) return;
      mergeBook(this.book, loaded.book);
      this.book.set(this.id, { peer: this.peerAddress, client: this.clientAddress });
      this.driver = new RaftDriver(
        this.id,
        KEYSPACE_RAFT_GROUP,
        storage,
        loaded,
        this.settings,
        {
          send: (msgs) => this.transport?.send(msgs),
          confApplied: (cc, conf) => this.confApplied(cc, conf),
          snapshotInstalled: (book, conf) => {
            this.metrics.snapshotsInstalled++;
            mergeBook(this.book, book);
            this.setConf(conf);
          },
          leaderChanged: (role, leader) => this.leaderChanged(role, leader),
          book: () => this.book,
          metrics: this.metrics,
          installing: (leader) => {
            const timeout = this.settings.requestTimeoutMs;
            const ask = this.transport?.request(
              leader,
              encodeRpc(RpcTag.installing, null),
              timeout,
            );
            ask?.catch(() => undefined); // the next one may arrive; else the leader stops holding
          },
          failed: (err) => this.storageFailed(err),
          entryLimit: () => this.limit,
          lazyFollowers: (lazy) => this.transport?.setLazy(lazy, this.settings.lazyFollowerMs),
        },
        this.log,
      );
      this.loadedConnects = connects;
      this.genesisConf = loaded.persisted.initialConf;
      this.own.loaded(wasMember(this.id, loaded));
      // Also sets the limit on proposals afresh from this engine's room: it
      // may have come back with another frame (cluster-own-room.test.ts).
      this.setConf(this.driver.status().conf);
      // And the members take it before this node says it is loaded: from then
      // on the leader refuses a write this engine could not store.
      await this.membership.announceRoom();
      this.log.info(
        {
          applied: loaded.applied,
          snapshot: loaded.snapshotIndex,
          snapshotImage: loaded.snapshotImage,
          conf: this.conf,
        },
        'raft state loaded',
      );
    } catch (err) {
      if (!this.closed) {
        this.log.error({ err }, 'cannot load the raft state; retrying in 1 s');
        this.reloadAfter = Date.now() + 1000;
      }
    } finally {
      this.loading = false;
    }
  }

  /** An empty data dir: record the first membership (or ask to join and record what we learn). */
  private async bootstrap(storage: ReplicaStorage): Promise<void> {
    const book: AddressBook = new Map();
    let voters: NodeId[];
    let learners: NodeId[] = [];
    if (this.opts.join !== null) {
      const joined = await this.membership.join(this.opts.join);
      mergeBook(book, joined.book);
      voters = joined.conf.voters;
      learners = joined.conf.learners;
    } else if (this.opts.peers !== null) {
      for (const [id, peer] of Object.entries(this.opts.peers)) {
        book.set(id, { peer, client: null });
      }
      voters = Object.keys(this.opts.peers);
    } else {
      voters = [this.id];
    }
    book.set(this.id, { peer: this.peerAddress, client: this.clientAddress });
    await writeBootstrap(storage, KEYSPACE_RAFT_GROUP, { voters, learners }, book);
    this.log.info({ voters }, 'bootstrapped an empty data dir');
  }

  /**
   * The driver stopped on a storage failure: reload after a second. An entry
   * its engine's frame cannot hold (sent by a leader that did not know this
   * node's room yet, or written while this node was down and came back
   * with a smaller frame) fails again at every reload, until the leader
   * compacts past it and sends a snapshot instead: said once, with the
   * fix, and retried slowly.
   */
  private storageFailed(err: unknown): void {
    if (this.driver) this.retire(this.driver);
    this.leaderChanged('follower', null);
    if (!(err instanceof EntryOverFrameError)) {
      this.log.error({ err }, 'raft storage operation failed; reloading the raft state');
      this.reloadAfter = Date.now() + 1000;
      return;
    }
    this.reloadAfter = Date.now() + OVER_FRAME_RELOAD_MS;
    if (this.overFrameLogged.has(err.bytes)) {
      this.log.debug({ bytes: err.bytes }, 'an entry still does not fit; reloading');
      return;
    }
    this.overFrameLogged.add(err.bytes);
    const frame = this.ownRoom()?.frame ?? 0;
    this.log.error(
      `this node's storage engine cannot store a Raft entry of ${err.bytes} bytes that the cluster holds: ` +
        `its STORAGE_MAX_FRAME_SIZE (${frame}) leaves ${err.room} bytes of room. It cannot catch up until it runs ` +
        `with STORAGE_MAX_FRAME_SIZE of at least ${frame + err.bytes - err.room}, or until the leader sends it a ` +
        `snapshot past that entry; it retries every ${OVER_FRAME_RELOAD_MS / 1000} s without saying this again`,
    );
  }

  /** This node's engine's entry room; null while the engine is away. */
  ownRoom(): EntryRoom | null {
    return linkRoom(this.link);
  }

  /** What member `id` said its engine holds (rooms.note), reflected in the limit on proposals. */
  noteRoom(id: NodeId, room: EntryRoom): void {
    this.rooms.note(id, room);
    this.refreshLimit();
  }

  entryLimit(): EntryLimit | null {
    return this.limit;
  }

  private refreshLimit(): void {
    const { voters, learners } = this.conf;
    this.limit = this.rooms.smallest([...voters, ...learners], this.id, this.ownRoom());
  }

  private confApplied(cc: ConfChange, conf: ConfState): void {
    this.membership.noteContext(cc);
    this.own.noteChange(cc);
    this.setConf(conf);
    this.log.info({ change: cc.type, member: cc.node, conf }, 'membership changed');
    if (cc.node === this.id && cc.type === 'remove') {
      this.log.warn('this node was removed from the cluster; it now refuses client requests');
    }
    // Reads that asked before it knew (a restart replaying its removal too) are refused now.
    if (this.isRemoved()) this.driver?.failReads('this node was removed from the cluster');
  }

  setConf(conf: ConfState): void {
    this.conf = conf;
    this.own.noteConf(conf);
    this.membership.noteConf(conf);
    const members = new Set([...conf.voters, ...conf.learners]);
    // Removed members are forgotten: their rooms, and, once this node is a
    // member, their addresses (so snapshots and join answers stop carrying them).
    this.rooms.keepOnly(members);
    // Until it is a member, a joining node talks to everyone it has heard of.
    const all = !members.has(this.id);
    if (!all) keepOnly(this.book, members);
    this.refreshLimit();
    const peers: Record<NodeId, string> = {};
    for (const [id, a] of this.book) {
      if (id !== this.id && (all || members.has(id))) peers[id] = a.peer;
    }
    try {
      this.transport?.setPeers(peers);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'bad peer address in the membership');
    }
  }

  private leaderChanged(role: Role, leader: NodeId | null): void {
    if (leader === null) this.noLeaderSince ??= Date.now();
    else this.noLeaderSince = null;
    this.leaders.note(leader, this.driver?.status().term ?? null);
    this.metrics.leaderSeen(leader);
    this.log.info({ role, leader }, 'raft role changed');
    for (const w of [...this.leaderWaiters]) w();
  }

  /** Waits until the leader changes, or `ms` passes. */
  async waitForLeader(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.leaderWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.leaderWaiters.add(done);
    });
  }

  /**
   * `request`'s answer, unless another leader takes over first (the old one may
   * be cut off and never answer): then the outcome is unknown and the caller
   * retries, with the same session seq, on the new leader.
   */
  private unlessLeaderMoves(leader: NodeId, request: Promise<Buffer>): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const moved = (): void => {
        const now = this.driver?.leader ?? null;
        if (now === null || now === leader) return;
        this.leaderWaiters.delete(moved);
        reject(new OutcomeUnknownError(`leadership moved from ${leader} to ${now}`));
      };
      this.leaderWaiters.add(moved);
      request.then(
        (r) => {
          this.leaderWaiters.delete(moved);
          resolve(r);
        },
        (err: unknown) => {
          this.leaderWaiters.delete(moved);
          reject(err as Error);
        },
      );
    });
  }

  /** No leader known for longer than an election timeout: how long (ms), else null. */
  noLeaderFor(): number | null {
    if (this.noLeaderSince === null || this.driver === null) return null;
    const ms = Date.now() - this.noLeaderSince;
    return ms > electionTimeoutMs(this.settings) ? ms : null;
  }

  isRemoved(): boolean {
    return this.driver !== null && this.own.removedFrom(this.conf);
  }

  /** This node in its membership, for CLUSTER STATUS, with what to do when it is not a member. */
  ownStanding(): Pick<ClusterStatus, 'membership' | 'notice'> {
    const { voters, learners } = this.conf;
    if (this.isRemoved()) {
      const notice =
        this.membershipCheck.notice() ??
        `node ${this.id} was removed from the cluster and serves no requests`;
      return { membership: 'removed', notice };
    }
    if (voters.includes(this.id) || learners.includes(this.id)) {
      return { membership: 'member', notice: null };
    }
    const notice = `node ${this.id} is joining: the log or snapshot that adds it has not reached it yet`;
    return { membership: 'joining', notice };
  }

  // ---- client requests -------------------------------------------------

  write(client: ReplicationClient, command: KvCommand): Promise<KvResult> {
    const s = this.sessions.get(client) ?? this.newSession(client);
    s.seq++;
    const proposal: Proposal = { session: { clientId: s.clientId, seq: s.seq }, command };
    const deadline = Date.now() + this.settings.requestTimeoutMs;
    const d = this.driver;
    // The usual case, one attempt on this node as leader, skips the retry
    // loop's async frame (about a kilobyte of garbage per put); whatever
    // that attempt gives but a result goes through the loop as if it ran there.
    if (d?.role === 'leader' && !this.closed && !this.isRemoved()) {
      let attempt: Promise<KvResult>;
      try {
        attempt = d.propose(proposal, this.settings.requestTimeoutMs);
      } catch (err) {
        return this.submit(client, proposal, deadline, { err });
      }
      return attempt.then(
        (r) => (r.op === 'session-expired' ? this.submit(client, proposal, deadline, { r }) : r),
        (err: unknown) => this.submit(client, proposal, deadline, { err }),
      );
    }
    return this.submit(client, proposal, deadline);
  }

  /**
   * A fresh session for the connection. The state machine answers
   * session-expired when it does not know a session at that seq: the session
   * was evicted, or its earlier writes were refused before being proposed, so
   * it never started. Either way the connection goes on in a new session.
   */
  private newSession(client: ReplicationClient): { clientId: string; seq: number } {
    const s = {
      clientId: `${this.id}/${this.incarnation}/${client.id}.${++this.sessionGeneration}`,
      seq: 0,
    };
    this.sessions.set(client, s);
    return s;
  }

  /** Tries `first` until `deadline`; `tried`: the outcome of an attempt write() made already. */
  private async submit(
    client: ReplicationClient,
    first: Proposal,
    deadline: number,
    tried?: { r: KvResult } | { err: unknown },
  ): Promise<KvResult> {
    let proposal = first;
    let outcome: WriteOutcome = 'not-applied';
    let encoded: Uint8Array | null = null;
    let pending = tried;
    for (;;) {
      // Every error thrown here goes through classify(): a CommandError (all
      // the refusals below) is the client's answer as it is.
      try {
        let result: KvResult;
        if (pending !== undefined) {
          const attempt = pending;
          pending = undefined;
          if ('err' in attempt) throw attempt.err;
          result = attempt.r;
        } else {
          if (this.closed) throw tryAgain('this node is shutting down', outcome);
          if (this.isRemoved()) {
            throw outcome === 'not-applied'
              ? removedNode(this.id)
              : this.giveUp('this node was removed from the cluster', outcome);
          }
          const remaining = deadline - Date.now();
          if (remaining <= 0) throw this.giveUp('no leader accepted the write in time', outcome);
          const d = this.driver;
          if (d?.role === 'leader') {
            result = await d.propose(proposal, remaining);
          } else if (d && d.leader !== null && d.leader !== this.id) {
            encoded ??= encodeRpc(RpcTag.write, encodeProposal(proposal));
            const reply = await this.unlessLeaderMoves(
              d.leader,
              this.transport!.request(d.leader, encoded, remaining),
            );
            result = decodeResult(reply);
          } else {
            // Leaderless for longer than an election timeout: a majority is out of
            // reach, so say so now rather than make every request wait out its deadline.
            const down = this.noLeaderFor();
            if (down !== null) throw clusterDown(down, outcome);
            await this.waitForLeader(Math.min(remaining, 200));
            continue;
          }
        }
        if (result.op !== 'session-expired') return result;
        proposal = this.renewSession(client, proposal, outcome);
        encoded = null;
      } catch (err) {
        const next = this.classify(err, outcome);
        if (next === 'maybe-applied') outcome = 'maybe-applied';
        await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }

  /**
   * `proposal` was answered session-expired, so nothing of it was applied: the
   * session was evicted, or it never started because its first writes were
   * refused before being proposed. Returns it in a new session, or throws when
   * sending it again could reorder it after a later write of the connection.
   */
  private renewSession(
    client: ReplicationClient,
    proposal: Proposal,
    outcome: WriteOutcome,
  ): Proposal {
    // write() set a session for this client, so `current` exists.
    const current = this.sessions.get(client)!;
    const sent = proposal.session!;
    // Another write of this connection went ahead (it renewed the session,
    // or a later seq was issued): writing this one now could reorder them.
    const wentAhead = current.clientId !== sent.clientId || current.seq > sent.seq;
    // Later writes go on in a new session, whatever this one's fate.
    const s = current.clientId === sent.clientId ? this.newSession(client) : current;
    if (outcome === 'maybe-applied') throw sessionSuperseded();
    if (wentAhead) throw tryAgain('a later write of this connection went ahead of it', outcome);
    s.seq++;
    return { ...proposal, session: { clientId: s.clientId, seq: s.seq } };
  }

  /** Whether a failed attempt may have applied the write; throws when retrying cannot help. */
  private classify(err: unknown, before: WriteOutcome): WriteOutcome {
    if (err instanceof CommandError) throw err;
    if (err instanceof EntryTooLargeError) throw invalidWrite(err.message, before);
    if (err instanceof ProposalRefusedError) return this.refused(err.reason, before);
    if (err instanceof PeerRequestError) {
      if (err.code === 'too-large') {
        throw new CommandError(`ERR the write is too large to forward to the leader`);
      }
      if (err.code === 'remote') {
        const { code, text } = parseRpcError(err.message);
        if (code === 'REFUSED') return this.refused(text, before);
        if (code === 'INVALID') throw invalidWrite(text, before);
      }
    } else if (
      !(err instanceof NotLeaderError) &&
      !(err instanceof NotAppliedError) &&
      !(err instanceof ReplicaUnavailableError) &&
      !(err instanceof OutcomeUnknownError)
    ) {
      this.log.error({ err }, 'unexpected failure of a replicated write');
    }
    return mayHaveTakenEffect(err) ? 'maybe-applied' : 'not-applied';
  }

  /** A refusal before proposing; `before` says whether an earlier attempt may have applied it. */
  private refused(reason: string, before: WriteOutcome): WriteOutcome {
    if (reason === 'too-large') {
      throw new CommandError('ERR the write is larger than one Raft entry may be');
    }
    if (reason === 'too-many-uncommitted') {
      throw tryAgain('the leader has too many uncommitted writes (overloaded)', before);
    }
    return 'not-applied'; // transferring leadership, or reloading: retry shortly
  }

  private giveUp(why: string, outcome: Outcome): CommandError {
    const down = this.noLeaderFor();
    if (down !== null) return clusterDown(down, outcome);
    if (this.driver === null) return tryAgain(this.restarting(), outcome);
    return tryAgain(why, outcome);
  }

  /** The storage engine is restarting, and why if it said: on a full disk a person must act. */
  private restarting(): string {
    const why = this.opts.storageStopped?.() ?? null;
    if (why === null) return 'the storage engine is restarting';
    return `the storage engine of node ${this.id} is restarting: ${why}; if its disk is full, free space under its data dir`;
  }

  readBarrier(client: ReplicationClient, failure: ReadOutcome = 'read-not-served'): Promise<void> {
    if (client.staleReads) return READ_NOW;
    const deadline = Date.now() + this.settings.requestTimeoutMs;
    const d = this.driver;
    // The usual case, one round trip through the driver, skips the retry
    // loop's async frame; a failure goes through the loop as if it ran there.
    if (d !== null && !this.closed && !this.isRemoved() && this.noLeaderFor() === null) {
      return d
        .readBarrier(this.settings.requestTimeoutMs)
        .then(undefined, (err: unknown) => this.readBarrierRetry(deadline, failure, err));
    }
    return this.readBarrierRetry(deadline, failure);
  }

  /** Asks for a read barrier until `deadline`; `failed`: why the first attempt failed. */
  private async readBarrierRetry(
    deadline: number,
    failure: ReadOutcome,
    failed?: unknown,
  ): Promise<void> {
    if (failed !== undefined) {
      if (!(failed instanceof OutcomeUnknownError || failed instanceof ReplicaUnavailableError)) {
        throw failed;
      }
      await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())));
    }
    for (;;) {
      if (this.closed) throw tryAgain('this node is shutting down', failure);
      if (this.isRemoved()) throw removedNode(this.id);
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw this.giveUp('the leader did not confirm a read index in time', failure);
      const down = this.noLeaderFor();
      if (down !== null) throw clusterDown(down, failure);
      const d = this.driver;
      if (d === null) {
        await sleep(Math.min(100, remaining));
        continue;
      }
      try {
        await d.readBarrier(remaining);
        return;
      } catch (err) {
        if (!(err instanceof OutcomeUnknownError || err instanceof ReplicaUnavailableError)) {
          throw err;
        }
        await sleep(Math.min(RETRY_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }

  status(): ClusterStatus {
    return this.membership.status();
  }

  addMember(id: NodeId, peer: string): Promise<void> {
    return this.membership.add(id, peer);
  }

  removeMember(id: NodeId): Promise<void> {
    return this.membership.remove(id);
  }

  transferLeader(id: NodeId): Promise<void> {
    return this.membership.transfer(id);
  }

  leaderChanges(): LeaderChange[] {
    return this.leaders.recent();
  }

  async memberFigures(id: NodeId, timeoutMs: number): Promise<unknown> {
    if (id === this.id) return this.figures();
    if (!this.transport) throw new Error('the peer transport is not running');
    return rpcJson(await this.transport.request(id, encodeRpc(RpcTag.figures, null), timeoutMs));
  }
}
