// Answers what other coordinators ask this one over the peer transport
// (peer-rpc.ts): forwarded writes and admin requests (only the leader takes
// them), join requests and a joining node's question whether it is a member
// (relayed to the leader; a node may ask only about itself, the id its
// handshake gave, while a member may relay), this node's own client address
// and figures for the dashboard, a member's word on its engine's entry room,
// and a follower's word that it is installing a snapshot.

import { decodeProposal, encodeResult, KvCodecError, UnknownOpError } from '../../kv/codec.js';
import type { Proposal } from '../../kv/types.js';
import type { NodeId } from '../../raft/types.js';
import { DEFAULT_USER, isAdmin } from '../auth/authenticator.js';
import { CommandError } from '../command-error.js';
import { removedNode } from './client-failure.js';
import type { ClusterNode } from './cluster-node.js';
import { roomAnswerJson, roomFromJson } from './entry-rooms.js';
import {
  encodeRpc,
  parseRpcError,
  rpcError,
  rpcJson,
  RpcTag,
  type AdminRequest,
  type JoinRequest,
} from './peer-rpc.js';
import {
  EntryTooLargeError,
  NotAppliedError,
  NotLeaderError,
  OutcomeUnknownError,
  ProposalRefusedError,
  ReplicaUnavailableError,
} from './replication-errors.js';

export class PeerRequests {
  constructor(private readonly node: ClusterNode) {}

  async handle(from: NodeId, payload: Buffer): Promise<Uint8Array> {
    const body = payload.subarray(1);
    try {
      const tag = payload[0];
      if ((tag === RpcTag.write || tag === RpcTag.admin) && !this.isMember(from)) {
        // A removed node may not know it yet (it never learns the commit of its removal).
        throw removedNode(from);
      }
      switch (payload[0]) {
        case RpcTag.write:
          return await this.write(from, body);
        case RpcTag.join:
          return await this.join(rpcJson<JoinRequest>(body));
        case RpcTag.admin:
          await this.node.membership.runAdmin(rpcJson<AdminRequest>(body));
          return Buffer.from('OK');
        case RpcTag.info:
          return Buffer.from(
            JSON.stringify({
              id: this.node.id,
              client: this.node.clientAddress,
              ...roomAnswerJson(this.node.ownRoom()),
            }),
          );
        case RpcTag.room: {
          // About the asker itself: the id its handshake gave.
          const room = roomFromJson(rpcJson<{ room?: unknown; frame?: unknown }>(body));
          if (room === null) throw rpcError('INVALID', 'a room notice needs its room and frame');
          this.node.noteRoom(from, room);
          return Buffer.from('OK');
        }
        case RpcTag.figures:
          return Buffer.from(JSON.stringify(await this.node.figures()));
        case RpcTag.member: {
          const { id } = rpcJson<{ id: unknown }>(body);
          if (typeof id !== 'string')
            throw rpcError('INVALID', 'a member question needs a node id');
          // A node asks about itself; a member also relays such a question (checked where asked).
          if (id !== from && !this.isMember(from)) {
            throw rpcError(
              'INVALID',
              `node ${from} may ask only whether it is itself a member, not node ${id}`,
            );
          }
          const d = this.node.driver;
          if (d?.role === 'leader') return this.node.membership.memberAnswer(id);
          return await this.relayToLeader(payload);
        }
        case RpcTag.installing:
          this.node.driver?.followerInstalling(from);
          return Buffer.from('OK');
        default:
          throw rpcError('INVALID', `unknown peer request type ${payload[0] ?? 'none'}`);
      }
    } catch (err) {
      throw toRpcError(err);
    }
  }

  private isMember(id: NodeId): boolean {
    const { voters, learners } = this.node.conf;
    return voters.includes(id) || learners.includes(id);
  }

  private async write(from: NodeId, body: Buffer): Promise<Uint8Array> {
    const d = this.node.driver;
    if (!d) throw new ReplicaUnavailableError('reloading');
    if (d.role !== 'leader') throw new NotLeaderError(d.leader);
    const proposal = this.forwarded(from, body);
    const result = await d.propose(proposal, this.node.settings.requestTimeoutMs);
    return encodeResult(result);
  }

  /**
   * A forwarded write's proposal. One this node cannot read (an op or flag of
   * a newer distdb, in a cluster being upgraded) is refused as INVALID at
   * once: nothing was proposed, and no retry can help, so the asking node
   * answers its client now instead of retrying until its request times out.
   */
  private forwarded(from: NodeId, body: Buffer): Proposal {
    try {
      return decodeProposal(body);
    } catch (err) {
      if (!(err instanceof KvCodecError)) throw err;
      const id = this.node.id;
      const what =
        err instanceof UnknownOpError
          ? `does not know the operation of this write (op ${err.op})`
          : `cannot read this write (${err.message})`;
      throw rpcError(
        'INVALID',
        `ERR node ${id}, the leader, ${what}, forwarded by node ${from}: ${id} likely runs an older distdb version; upgrade it`,
      );
    }
  }

  /** The leader admits the node; another member relays the request to the leader. */
  private async join(req: JoinRequest): Promise<Uint8Array> {
    if (typeof req.id !== 'string' || typeof req.peer !== 'string') {
      throw rpcError('INVALID', 'a join request needs the node id and peer address');
    }
    await checkJoinLogin(req, this.node.logins);
    if (this.node.driver?.role === 'leader') return this.node.membership.admit(req);
    return this.relayToLeader(encodeRpc(RpcTag.join, req));
  }

  /** A request only the leader answers, passed on to it. */
  private async relayToLeader(payload: Uint8Array): Promise<Uint8Array> {
    const d = this.node.driver;
    if (!d) throw new ReplicaUnavailableError('reloading');
    if (d.leader === null || d.leader === this.node.id) throw new NotLeaderError(null);
    return this.node.transport!.request(d.leader, payload, this.node.settings.requestTimeoutMs);
  }
}

/**
 * A join adds a learner, which is sent every key: where clients must log in,
 * so must whoever asks to join, as an admin (who could add the node with
 * CLUSTER ADD). Without logins the cluster trusts its network, as its client
 * port does (docs/security.md). Checked by the member asked and again by the
 * leader it relays to.
 */
async function checkJoinLogin(req: JoinRequest, logins: ClusterNode['logins']): Promise<void> {
  const { auth, failed } = logins;
  if (!auth.required) return;
  const id = String(req.id);
  if (typeof req.password !== 'string') {
    throw rpcError(
      'INVALID',
      `this cluster requires a login to join: start node ${id} with --join-password (env NODE_JOIN_PASSWORD) of an admin user, and --join-user for a user other than default`,
    );
  }
  const user = typeof req.user === 'string' ? req.user : DEFAULT_USER;
  const principal = await auth.verifyAsync(user, req.password);
  if (principal === null) {
    failed.record(`${String(req.peer)} (node ${id} joining)`, user, 'peer');
    throw rpcError(
      'INVALID',
      `wrong user name or password in node ${id}'s join request (--join-user / --join-password)`,
    );
  }
  if (!isAdmin(principal)) {
    throw rpcError(
      'INVALID',
      `user ${user} may not add nodes: a join needs a readwrite user without a key prefix`,
    );
  }
}

/** The error message a remote caller parses (peer-rpc.ts): its code word says what happened. */
function toRpcError(err: unknown): Error {
  if (err instanceof NotLeaderError) return rpcError('NOTLEADER', err.leader ?? '-');
  if (err instanceof ProposalRefusedError) return rpcError('REFUSED', err.reason);
  if (err instanceof ReplicaUnavailableError) return rpcError('REFUSED', 'reloading');
  if (err instanceof NotAppliedError) return rpcError('NOTAPPLIED', err.message);
  if (err instanceof OutcomeUnknownError) return rpcError('UNKNOWN', err.message);
  if (err instanceof CommandError || err instanceof EntryTooLargeError) {
    return rpcError('INVALID', err.message);
  }
  if (err instanceof Error) {
    // A relayed request's failure keeps its code word.
    const { code, text } = parseRpcError(err.message);
    if (code !== null) return rpcError(code, text);
  }
  return rpcError('UNKNOWN', (err as Error)?.message ?? String(err));
}
