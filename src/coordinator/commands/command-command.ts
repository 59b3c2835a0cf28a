// COMMAND [COUNT | INFO name... | DOCS name... | LIST | HELP]: the command
// table as Redis describes its own, so redis-cli and client libraries can
// introspect the node.

import { encodeInteger, encodeReply } from '../../resp/reply-encoder.js';
import type { RespValue } from '../../resp/types.js';
import type { Handler } from '../command-context.js';
import { CommandError } from '../command-error.js';
import type { CommandSpec } from '../command-table.js';

const bulk = (s: string): RespValue => ({ type: 'bulk', value: Buffer.from(s) });
const simple = (s: string): RespValue => ({ type: 'simple', value: s });

/** ACL categories Redis would give the command, derived from its flags and group. */
function aclCategories(spec: CommandSpec): string[] {
  const cats = [`@${spec.group}`];
  if (spec.flags.includes('write')) cats.push('@write');
  if (spec.flags.includes('readonly')) cats.push('@read');
  if (spec.flags.includes('admin')) cats.push('@admin', '@dangerous');
  cats.push(spec.flags.includes('fast') ? '@fast' : '@slow');
  if (spec.firstKey > 0) cats.push('@keyspace');
  return cats;
}

function infoOf(spec: CommandSpec): RespValue {
  return {
    type: 'array',
    value: [
      bulk(spec.name),
      { type: 'integer', value: spec.arity },
      { type: 'set', value: spec.flags.map(simple) },
      { type: 'integer', value: spec.firstKey },
      { type: 'integer', value: spec.lastKey },
      { type: 'integer', value: spec.step },
      { type: 'set', value: aclCategories(spec).map(simple) },
      { type: 'array', value: [] }, // tips
      { type: 'array', value: [] }, // key specs
      { type: 'array', value: [] }, // subcommands
    ],
  };
}

function docsOf(spec: CommandSpec): RespValue {
  const fields: Array<[RespValue, RespValue]> = [
    [bulk('summary'), bulk(spec.summary)],
    [bulk('since'), bulk(spec.since)],
    [bulk('group'), bulk(spec.group)],
    [bulk('complexity'), bulk(spec.complexity)],
  ];
  return { type: 'map', value: fields };
}

const HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all commands.',
  'COUNT',
  '    Return the total number of commands.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple commands.',
  'INFO [<command-name> ...]',
  '    Return details about multiple commands.',
  'LIST',
  '    Return a list of all commands.',
  'HELP',
  '    Print this help.',
];

export const command: Handler = (ctx, args, version) => {
  const table = ctx.node.commands;
  const specs = [...new Set(table.values())];
  if (args.length === 1) {
    return encodeReply({ type: 'array', value: specs.map(infoOf) }, version);
  }
  const sub = (args[1] as Buffer).toString('latin1').toLowerCase();
  const named = args.slice(2).map((a) => table.get(a.toString('latin1').toLowerCase()));
  switch (sub) {
    case 'count':
      return encodeInteger(specs.length);
    case 'list':
      return encodeReply({ type: 'array', value: specs.map((s) => bulk(s.name)) }, version);
    case 'info': {
      const chosen = args.length === 2 ? specs : named;
      const value = chosen.map((s): RespValue => (s ? infoOf(s) : { type: 'array', value: null }));
      return encodeReply({ type: 'array', value }, version);
    }
    case 'docs': {
      const chosen = args.length === 2 ? specs : named.filter((s) => s !== undefined);
      const pairs = chosen.map((s): [RespValue, RespValue] => [bulk(s.name), docsOf(s)]);
      return encodeReply({ type: 'map', value: pairs }, version);
    }
    case 'help':
      return encodeReply({ type: 'array', value: HELP.map(simple) }, version);
    default:
      throw new CommandError(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try COMMAND HELP.`);
  }
};
