// INFO [section ...]: the node's state as `field:value` lines grouped in
// `# Section`s, in Redis's layout so tools that read INFO work unchanged.

import { arch, platform, release } from 'node:os';
import { encodeReply } from '../../resp/reply-encoder.js';
import type { CommandContext, Handler } from '../command-context.js';
import { KEYSPACE_GROUP } from './group.js';
import { DISTDB_VERSION, REDIS_COMPATIBLE_VERSION } from './server-identity.js';

type Fields = Array<[string, string | number]>;
type Section = (ctx: CommandContext) => Fields | Promise<Fields>;

const SECTIONS: Record<string, Section> = {
  server: (ctx) => {
    const uptime = Math.floor((Date.now() - ctx.node.startedAt) / 1000);
    return [
      ['redis_version', REDIS_COMPATIBLE_VERSION],
      ['distdb_version', DISTDB_VERSION],
      ['redis_mode', 'standalone'],
      ['os', `${platform()} ${release()} ${arch()}`],
      ['arch_bits', arch().endsWith('64') ? 64 : 32],
      ['process_id', process.pid],
      ['node_version', process.versions.node],
      ['tcp_port', ctx.node.port],
      ['bind', ctx.node.host],
      ['uptime_in_seconds', uptime],
      ['uptime_in_days', Math.floor(uptime / 86400)],
    ];
  },
  clients: (ctx) => {
    let n = 0;
    for (const _ of ctx.node.clients()) n++;
    return [
      ['connected_clients', n],
      ['maxclients', ctx.node.limits.maxClients],
      ['blocked_clients', 0],
    ];
  },
  memory: () => {
    const m = process.memoryUsage();
    return [
      ['used_memory', m.heapUsed + m.external],
      ['used_memory_rss', m.rss],
      ['used_memory_heap_total', m.heapTotal],
    ];
  },
  persistence: async (ctx) => {
    const fields: Fields = [
      ['loading', 0],
      ['storage_engine', ctx.node.storage.connected ? 'connected' : 'unavailable'],
      ['storage_engine_connects', ctx.node.storage.connects],
    ];
    if (ctx.node.storage.connected) {
      const s = await ctx.node.storage.api().stats(KEYSPACE_GROUP);
      fields.push(['storage_disk_bytes', s.diskBytes], ['storage_applied_index', s.appliedIndex]);
    }
    return fields;
  },
  stats: (ctx) => {
    const s = ctx.node.stats;
    return [
      ['total_connections_received', s.connectionsReceived],
      ['total_commands_processed', s.commandsProcessed],
      ['total_net_input_bytes', s.netInputBytes],
      ['total_net_output_bytes', s.netOutputBytes],
      ['rejected_connections', s.connectionsRejected],
      ['total_protocol_errors', s.protocolErrors],
      ['client_output_buffer_disconnects', s.outputBufferDisconnects],
      ['acl_access_denied_auth', s.authFailures],
      ['acl_access_denied_cmd', s.accessDenied],
      ['scan_cursors', ctx.node.scanCursors.size],
    ];
  },
  replication: () => [
    ['role', 'master'],
    ['connected_slaves', 0],
  ],
  keyspace: async (ctx) => {
    // A user with a key prefix may not learn how many keys others have (DBSIZE is refused too).
    if ((ctx.client.access?.prefix ?? null) !== null) return [];
    if (!ctx.node.storage.connected) return [];
    const s = await ctx.node.storage.api().stats(KEYSPACE_GROUP);
    return s.keys > 0 ? [['db0', `keys=${s.keys},expires=0,avg_ttl=0`]] : [];
  },
};

const DEFAULT_SECTIONS = Object.keys(SECTIONS);

export const info: Handler = async (ctx, args, version) => {
  let names = args.slice(1).map((a) => a.toString('latin1').toLowerCase());
  if (
    names.length === 0 ||
    names.some((n) => n === 'all' || n === 'everything' || n === 'default')
  ) {
    names = DEFAULT_SECTIONS;
  }
  const parts: string[] = [];
  for (const name of DEFAULT_SECTIONS) {
    const section = SECTIONS[name];
    if (!names.includes(name) || section === undefined) continue;
    let fields: Fields;
    try {
      fields = await section(ctx);
    } catch {
      fields = [['error', 'storage engine unavailable']];
    }
    const title = name[0]?.toUpperCase() + name.slice(1);
    parts.push(`# ${title}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  }
  return encodeReply({ type: 'verbatim', format: 'txt', value: parts.join('\r\n') }, version);
};
