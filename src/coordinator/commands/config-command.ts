// CONFIG GET: the settings a client may ask about. Tools ask at start
// (redis-benchmark: `save`, `appendonly`); distdb's own limits are listed
// under their setting names. Settings are fixed when the node starts.

import { encodeReply, OK_REPLY } from '../../resp/reply-encoder.js';
import type { RespValue } from '../../resp/types.js';
import type { CommandContext, Handler } from '../command-context.js';
import { CommandError, wrongArity } from '../command-error.js';
import { globMatch } from '../glob.js';
import { LIMIT_SETTINGS } from '../limits.js';

function parameters(ctx: CommandContext): Array<[string, string]> {
  const l = ctx.node.limits;
  return [
    // Redis names, for tools that ask.
    ['save', ''], // no RDB snapshots: every write is durable when acknowledged
    ['appendonly', 'yes'], // closest Redis equivalent of fsync-before-acknowledge
    ['appendfsync', 'always'],
    ['databases', '1'],
    ['port', String(ctx.node.port)],
    ['bind', ctx.node.host],
    ['maxclients', String(l.maxClients)],
    ['proto-max-bulk-len', String(l.maxBulkLength)],
    ['client-query-buffer-limit', String(l.maxRequestSize)],
    // distdb's limits, by their flag names.
    ...LIMIT_SETTINGS.map((s): [string, string] => [s.flag.slice(2), String(l[s.key])]),
  ];
}

export const config: Handler = (ctx, args, version) => {
  const sub = (args[1] as Buffer).toString('latin1').toLowerCase();
  if (sub === 'get') {
    if (args.length < 3) throw wrongArity('config|get');
    const patterns = args.slice(2).map((a) => Buffer.from(a.toString('latin1').toLowerCase()));
    const pairs: Array<[RespValue, RespValue]> = [];
    for (const [name, value] of parameters(ctx)) {
      if (!patterns.some((p) => globMatch(p, Buffer.from(name)))) continue;
      pairs.push([
        { type: 'bulk', value: Buffer.from(name) },
        { type: 'bulk', value: Buffer.from(value) },
      ]);
    }
    return encodeReply({ type: 'map', value: pairs }, version);
  }
  if (sub === 'set') {
    throw new CommandError(
      'ERR CONFIG SET is not supported; distdb settings are command-line flags and environment variables read at start (see docs/protocol.md)',
    );
  }
  if (sub === 'resetstat') {
    const s = ctx.node.stats;
    for (const k of Object.keys(s) as Array<keyof typeof s>) s[k] = 0;
    return OK_REPLY;
  }
  if (sub === 'help') {
    return encodeReply(
      {
        type: 'array',
        value: [
          'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          'GET <pattern> [<pattern> ...]',
          '    Return parameters matching the glob-like <pattern> and their values.',
          'RESETSTAT',
          '    Reset statistics reported by the INFO command.',
          'HELP',
          '    Print this help.',
        ].map((l): RespValue => ({ type: 'simple', value: l })),
      },
      version,
    );
  }
  throw new CommandError(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try CONFIG HELP.`);
};
