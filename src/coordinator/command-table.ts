// Every command the coordinator understands, one row each, as in Redis's
// command table. Dispatch, arity errors, key-size checks and COMMAND's
// replies all come from here, so they cannot disagree.
//
// Arity counts the command name: 2 means exactly `GET key`; -2 means at
// least two words. Keys are at positions firstKey..lastKey (negative: from
// the end) every `step` words; 0 means the command takes no keys.

import type { Handler } from './command-context.js';
import { backup } from './commands/backup-commands.js';
import { cas, cluster, readonly, readwrite } from './commands/cluster-commands.js';
import { command } from './commands/command-command.js';
import { config } from './commands/config-command.js';
import { auth, client, echo, hello, ping, quit, select } from './commands/connection-commands.js';
import { info } from './commands/info-command.js';
import { dbsize, del, exists, scan } from './commands/keyspace-commands.js';
import { persist, ttl, type } from './commands/key-info-commands.js';
import { decr, decrby, incr, incrby } from './commands/counter-commands.js';
import { incrbyfloat } from './commands/incrbyfloat-command.js';
import {
  append,
  get,
  getdel,
  getrange,
  getset,
  mget,
  mset,
  set,
  setnx,
  strlen,
} from './commands/string-commands.js';

export type CommandFlag =
  'write' | 'readonly' | 'denyoom' | 'admin' | 'fast' | 'loading' | 'stale' | 'no_auth';

export type CommandGroup = 'string' | 'generic' | 'connection' | 'server';

export interface CommandSpec {
  /** Lower case, as COMMAND reports it. */
  name: string;
  arity: number;
  flags: readonly CommandFlag[];
  firstKey: number;
  lastKey: number;
  step: number;
  group: CommandGroup;
  /** Arguments after the name, as docs show them. */
  usage: string;
  summary: string;
  /** The Redis version that introduced the command (distdb's own: 0.1.0). */
  since: string;
  complexity: string;
  handler: Handler;
  /** Subcommands (lower case) that change the cluster: only an admin user may run them (auth/access.ts). */
  adminSubcommands?: readonly string[];
  /** Reads across every key (not only named ones): refused to users confined to a key prefix. */
  keyspaceWide?: true;
  /**
   * Reads its key, then writes it by a second request (INCRBYFLOAT's
   * compare-and-set): it starts after its connection's earlier commands and
   * before its later ones (client-connection.ts), as one request would.
   */
  readsThenWrites?: true;
}

type Row = Omit<CommandSpec, 'firstKey' | 'lastKey' | 'step'> & {
  keys?: [first: number, last: number, step: number];
};

const SET: Row = {
  name: 'set',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, 1, 1],
  group: 'string',
  usage: 'key value [NX | XX] [GET]',
  summary:
    'Sets the value of a key; NX only if absent, XX only if present; GET returns the old value.',
  since: '1.0.0',
  complexity: 'O(1)',
  handler: set,
};

const DEL: Row = {
  name: 'del',
  arity: -2,
  flags: ['write'],
  keys: [1, -1, 1],
  group: 'generic',
  usage: 'key [key ...]',
  summary: 'Deletes keys atomically; returns how many existed.',
  since: '1.0.0',
  complexity: 'O(N) where N is the number of keys',
  handler: del,
};

const EXISTS: Row = {
  name: 'exists',
  arity: -2,
  flags: ['readonly', 'fast'],
  keys: [1, -1, 1],
  group: 'generic',
  usage: 'key [key ...]',
  summary: 'Counts how many of the keys exist (a key named twice counts twice).',
  since: '1.0.0',
  complexity: 'O(N) where N is the number of keys',
  handler: exists,
};

const TTL: Row = {
  name: 'ttl',
  arity: 2,
  flags: ['readonly', 'fast'],
  keys: [1, 1, 1],
  group: 'generic',
  usage: 'key',
  summary: 'Returns -1 for a key that exists (keys do not expire), -2 for one that does not.',
  since: '1.0.0',
  complexity: 'O(1)',
  handler: ttl,
};

const GETRANGE: Row = {
  name: 'getrange',
  arity: 4,
  flags: ['readonly'],
  keys: [1, 1, 1],
  group: 'string',
  usage: 'key start end',
  summary:
    'Returns the bytes of a value from start to end, both included; negative counts from the end.',
  since: '2.4.0',
  complexity: 'O(N) where N is the length of the value',
  handler: getrange,
};

/**
 * Another name for a command, with the same arity, keys, flags and handler:
 * from the original system (`since` distdb's own, 0.1.0) or from Redis (the
 * Redis version that has it).
 */
function alias(of: Row, name: string, summary: string, since = '0.1.0'): Row {
  return { ...of, name, summary, since };
}

/** INCR, DECR, INCRBY, DECRBY: signed 64-bit arithmetic on a key's base-10 value. */
function counter(name: string, usage: string, summary: string, handler: Handler): Row {
  return {
    name,
    arity: usage === 'key' ? 2 : 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage,
    summary,
    since: '1.0.0',
    complexity: 'O(1)',
    handler,
  };
}

const ROWS: Row[] = [
  {
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key',
    summary: 'Returns the value of a key, or nil when it does not exist.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: get,
  },
  SET,
  alias(SET, 'put', "Same as SET (the original system's name for it)."),
  {
    name: 'cas',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key expected new',
    summary:
      'Compare-and-set: writes new only if the current value equals expected; 1 when swapped, else 0.',
    since: '0.1.0',
    complexity: 'O(1)',
    handler: cas,
  },
  {
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    group: 'string',
    usage: 'key [key ...]',
    summary: 'Returns the values of the keys, nil for each that does not exist.',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys',
    handler: mget,
  },
  {
    name: 'mset',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 2],
    group: 'string',
    usage: 'key value [key value ...]',
    summary: 'Sets several keys atomically.',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys',
    handler: mset,
  },
  {
    name: 'setnx',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key value',
    summary: 'Sets the value of a key only if it does not exist; 1 when set, else 0.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: setnx,
  },
  {
    name: 'getset',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key value',
    summary: 'Sets the value of a key and returns the previous value, or nil (same as SET … GET).',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: getset,
  },
  {
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key',
    summary: 'Deletes a key and returns the value it had, or nil.',
    since: '6.2.0',
    complexity: 'O(1)',
    handler: getdel,
  },
  {
    name: 'append',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key value',
    summary:
      'Appends to the value of a key (an absent key counts as empty); returns the new length.',
    since: '2.0.0',
    complexity: 'O(1)',
    handler: append,
  },
  {
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key',
    summary: 'Returns the length of the value of a key in bytes, 0 when it does not exist.',
    since: '2.2.0',
    complexity: 'O(1)',
    handler: strlen,
  },
  GETRANGE,
  alias(GETRANGE, 'substr', 'Same as GETRANGE (its name before Redis 2.4).', '1.0.0'),
  counter(
    'incr',
    'key',
    'Adds 1 to the integer value of a key (absent: 0); returns the new value.',
    incr,
  ),
  counter(
    'decr',
    'key',
    'Subtracts 1 from the integer value of a key (absent: 0); returns the new value.',
    decr,
  ),
  counter(
    'incrby',
    'key increment',
    'Adds a 64-bit integer to the integer value of a key (absent: 0); returns the new value.',
    incrby,
  ),
  counter(
    'decrby',
    'key decrement',
    'Subtracts a 64-bit integer from the integer value of a key (absent: 0); returns the new value.',
    decrby,
  ),
  {
    name: 'incrbyfloat',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    usage: 'key increment',
    summary:
      'Adds a number to the numeric value of a key (absent: 0) in 80-bit long double, as Redis does; returns the new value.',
    since: '2.6.0',
    complexity: 'O(1)',
    handler: incrbyfloat,
    readsThenWrites: true,
  },
  DEL,
  alias(DEL, 'delete', 'Same as DEL.'),
  alias(DEL, 'unlink', 'Same as DEL (deletes at once; nothing is left to free later).', '4.0.0'),
  EXISTS,
  alias(
    EXISTS,
    'touch',
    'Same as EXISTS: counts the keys that exist (distdb keeps no access times to update).',
    '3.2.1',
  ),
  {
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'generic',
    usage: 'key',
    summary: 'Returns string for a key that exists (every value is a string), none otherwise.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: type,
  },
  TTL,
  alias(
    TTL,
    'pttl',
    'Same as TTL (in milliseconds): -1 for a key that exists, -2 for one that does not.',
    '2.6.0',
  ),
  {
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'generic',
    usage: 'key',
    summary: 'Returns 0: keys do not expire, so there is no expiry to remove.',
    since: '2.2.0',
    complexity: 'O(1)',
    handler: persist,
  },
  {
    name: 'scan',
    arity: -2,
    flags: ['readonly'],
    group: 'generic',
    usage: 'cursor [MATCH pattern] [COUNT count] [TYPE type]',
    summary: 'Iterates over keys in byte order; start with cursor 0, stop when it returns 0.',
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration.',
    handler: scan,
  },
  {
    name: 'backup',
    arity: -2,
    flags: ['admin', 'readonly'],
    keyspaceWide: true,
    group: 'server',
    usage: 'BEGIN | CHUNK id | END id',
    summary:
      'A consistent copy of the whole key space in chunks (what distdb backup drives): BEGIN answers [id, raft index, term, keys, cluster id].',
    since: '0.1.0',
    complexity: 'O(N) over all chunks, N the number of keys',
    handler: backup,
  },
  {
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    group: 'server',
    usage: '',
    summary: 'Returns the number of keys.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: dbsize,
    keyspaceWide: true,
  },
  {
    name: 'ping',
    arity: -1,
    flags: ['fast', 'stale', 'no_auth'],
    group: 'connection',
    usage: '[message]',
    summary: 'Returns PONG, or the message.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: ping,
  },
  {
    name: 'echo',
    arity: 2,
    flags: ['fast', 'stale'],
    group: 'connection',
    usage: 'message',
    summary: 'Returns the message.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: echo,
  },
  {
    name: 'hello',
    arity: -1,
    flags: ['fast', 'stale', 'no_auth', 'loading'],
    group: 'connection',
    usage: '[protover [AUTH username password] [SETNAME clientname]]',
    summary: 'Switches the protocol version (2 or 3) and describes the server.',
    since: '6.0.0',
    complexity: 'O(1)',
    handler: hello,
  },
  {
    name: 'auth',
    arity: -2,
    flags: ['fast', 'no_auth', 'loading', 'stale'],
    group: 'connection',
    usage: '[username] password',
    summary:
      'Authenticates the connection as a user (the default user when only a password is given).',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: auth,
  },
  {
    name: 'client',
    arity: -2,
    flags: ['stale', 'loading'],
    group: 'connection',
    usage: 'SETNAME name | GETNAME | ID | INFO | LIST | SETINFO attr value | HELP',
    summary: "Reads and changes this connection's name and details.",
    since: '2.4.0',
    complexity: 'O(1), LIST: O(N) where N is the number of clients',
    handler: client,
  },
  {
    name: 'select',
    arity: 2,
    flags: ['fast', 'loading', 'stale'],
    group: 'connection',
    usage: 'index',
    summary: 'Accepts database 0, the only one.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: select,
  },
  {
    name: 'quit',
    arity: -1,
    flags: ['fast', 'no_auth', 'loading', 'stale'],
    group: 'connection',
    usage: '',
    summary: 'Replies OK and closes the connection.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: quit,
  },
  {
    name: 'readonly',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    group: 'connection',
    usage: '',
    summary:
      "Serves this connection's reads from the node it is connected to, possibly stale (no leader round trip).",
    since: '3.0.0',
    complexity: 'O(1)',
    handler: readonly,
  },
  {
    name: 'readwrite',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    group: 'connection',
    usage: '',
    summary: 'Back to linearizable reads for this connection (the default).',
    since: '3.0.0',
    complexity: 'O(1)',
    handler: readwrite,
  },
  {
    name: 'cluster',
    arity: -2,
    flags: ['admin', 'stale'],
    group: 'server',
    usage: 'STATUS | ADD id peer-address | REMOVE id | TRANSFER-LEADER id | HELP',
    summary: 'Shows and changes the Raft membership: status, add, remove, transfer leadership.',
    since: '3.0.0',
    complexity: 'O(N) where N is the number of members',
    handler: cluster,
    adminSubcommands: ['add', 'remove', 'transfer-leader'],
  },
  {
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    group: 'server',
    usage: '[section [section ...]]',
    summary: 'Returns information about the node, by section.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: info,
  },
  {
    name: 'config',
    arity: -2,
    flags: ['admin', 'loading', 'stale'],
    group: 'server',
    usage: 'GET parameter [parameter ...] | RESETSTAT | HELP',
    summary: 'Returns settings matching glob patterns.',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of parameters',
    handler: config,
    adminSubcommands: ['resetstat'],
  },
  {
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    group: 'server',
    usage: '[COUNT | INFO [name ...] | DOCS [name ...] | LIST | HELP]',
    summary: 'Describes the commands this node understands.',
    since: '2.8.13',
    complexity: 'O(N) where N is the number of commands',
    handler: command,
  },
];

export const COMMANDS: readonly CommandSpec[] = ROWS.map(({ keys, ...row }) => ({
  ...row,
  firstKey: keys?.[0] ?? 0,
  lastKey: keys?.[1] ?? 0,
  step: keys?.[2] ?? 0,
}));

/** By lower-case name. */
export const COMMAND_TABLE: ReadonlyMap<string, CommandSpec> = new Map(
  COMMANDS.map((c) => [c.name, c]),
);

/** Whether `argc` words (name included) fit the command's arity. */
export function arityAccepts(spec: CommandSpec, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/** The index of the last word a command of `argc` words may have a key at (lastKey counts from the end when negative). */
function lastKeyIndex(spec: CommandSpec, argc: number): number {
  return Math.min(spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey, argc - 1);
}

/** How many key arguments a command of `argc` words names (keyIndexes' length, without the array). */
export function keyCount(spec: CommandSpec, argc: number): number {
  if (spec.firstKey <= 0) return 0;
  const last = lastKeyIndex(spec, argc);
  return last < spec.firstKey ? 0 : Math.floor((last - spec.firstKey) / spec.step) + 1;
}

/** Indexes of the key arguments of a command of `argc` words. */
export function keyIndexes(spec: CommandSpec, argc: number): number[] {
  if (spec.firstKey <= 0) return [];
  const last = lastKeyIndex(spec, argc);
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last; i += spec.step) out.push(i);
  return out;
}
