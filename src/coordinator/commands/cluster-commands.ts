// CAS, READONLY / READWRITE and CLUSTER: the commands a replicated node adds.

import { parsePeerAddress } from '../../peer/address.js';
import { encodeBulk, encodeInteger, OK_REPLY } from '../../resp/reply-encoder.js';
import type { Handler } from '../command-context.js';
import { CommandError, wrongArity } from '../command-error.js';
import { expect } from './expect-result.js';
import { applyWrite } from './replicated-access.js';
import { checkValueSize } from './value-size.js';

/** CAS key expected new → 1 when swapped, 0 when the current value differs or the key is absent. */
export const cas: Handler = async (ctx, args) => {
  const value = args[3] as Buffer;
  checkValueSize(ctx, value);
  const result = await applyWrite(ctx, {
    op: 'cas',
    key: args[1] as Buffer,
    expected: args[2] as Buffer,
    value,
  });
  return encodeInteger(expect(result, 'cas').swapped ? 1 : 0);
};

/** This connection's reads are served locally, possibly stale (no ReadIndex round). */
export const readonly: Handler = (ctx) => {
  ctx.client.staleReads = true;
  return OK_REPLY;
};

export const readwrite: Handler = (ctx) => {
  ctx.client.staleReads = false;
  return OK_REPLY;
};

/** `text` if the peer layer can read it as an address (host:port, [v6]:port, port 1-65535). */
function peerAddress(text: string): string {
  try {
    parsePeerAddress(text, 'CLUSTER ADD');
  } catch {
    throw new CommandError(`ERR peer address must be host:port, got "${text}"`);
  }
  return text;
}

const CLUSTER_HELP = [
  'CLUSTER STATUS                    this node, the leader, and every member as JSON',
  'CLUSTER ADD <id> <peer-address>   add a node (learner first, voter once caught up)',
  'CLUSTER REMOVE <id>               remove a member',
  'CLUSTER TRANSFER-LEADER <id>      hand leadership to a voter',
];

export const cluster: Handler = async (ctx, args, version) => {
  const sub = (args[1] as Buffer).toString('latin1').toLowerCase();
  const arity = (n: number): void => {
    if (args.length !== n) throw wrongArity(`cluster|${sub}`);
  };
  if (sub === 'help') return encodeBulk(Buffer.from(CLUSTER_HELP.join('\n')), version);
  const r = ctx.node.replication;
  if (r === null) {
    throw new CommandError(
      'ERR this coordinator runs without a cluster (distdb coordinator); run distdb node for replication',
    );
  }
  const text = (i: number): string => (args[i] as Buffer).toString('utf8');
  switch (sub) {
    case 'status':
      arity(2);
      return encodeBulk(Buffer.from(JSON.stringify(r.status())), version);
    case 'add':
      arity(4);
      await r.addMember(text(2), peerAddress(text(3)));
      return OK_REPLY;
    case 'remove':
      arity(3);
      await r.removeMember(text(2));
      return OK_REPLY;
    case 'transfer-leader':
      arity(3);
      await r.transferLeader(text(2));
      return OK_REPLY;
    default:
      throw new CommandError(
        `ERR unknown CLUSTER subcommand '${sub}'; try CLUSTER HELP (STATUS, ADD, REMOVE, TRANSFER-LEADER)`,
      );
  }
};
