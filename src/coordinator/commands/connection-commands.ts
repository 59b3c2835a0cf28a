// PING, ECHO, AUTH, HELLO, CLIENT, SELECT, QUIT: the connection's own state.

import {
  encodeBulk,
  encodeInteger,
  encodeReply,
  OK_REPLY,
  PONG_REPLY,
} from '../../resp/reply-encoder.js';
import type { RespValue, RespVersion } from '../../resp/types.js';
import { DEFAULT_USER } from '../auth/authenticator.js';
import { login } from '../auth/login.js';
import type { ClientState, CommandContext, Handler } from '../command-context.js';
import { CommandError, notAnInteger, syntaxError, wrongArity } from '../command-error.js';
import { SERVER_NAME, REDIS_COMPATIBLE_VERSION } from './server-identity.js';

export const ping: Handler = (_ctx, args, version) => {
  if (args.length > 2) throw wrongArity('ping');
  return args.length === 2 ? encodeBulk(args[1] as Buffer, version) : PONG_REPLY;
};

export const echo: Handler = (_ctx, args, version) => encodeBulk(args[1] as Buffer, version);

/** The connection stops reading at QUIT and closes once this OK is written (client-connection.ts). */
export const quit: Handler = () => OK_REPLY;

export const select: Handler = (_ctx, args) => {
  const text = (args[1] as Buffer).toString('latin1');
  if (!/^-?\d{1,15}$/.test(text)) throw notAnInteger();
  if (Number(text) !== 0) {
    throw new CommandError('ERR DB index is out of range; distdb has a single database, 0');
  }
  return OK_REPLY;
};

/** AUTH [username] password: the connection becomes that user (client-connection.ts runs nothing after it until it answers). */
export const auth: Handler = async (ctx, args) => {
  if (args.length > 3) throw syntaxError();
  if (args.length === 2 && !ctx.node.auth.required) {
    throw new CommandError(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const user = args.length === 3 ? (args[1] as Buffer) : Buffer.from(DEFAULT_USER);
  ctx.client.access = await login(ctx, user, args[args.length - 1] as Buffer);
  return OK_REPLY;
};

/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]]. As in
 * Redis: options are checked first, then AUTH; nothing changes unless the
 * connection ends up authenticated.
 */
export const hello: Handler = (ctx, args, version) => {
  let next: RespVersion = version;
  if (args.length >= 2) {
    const text = (args[1] as Buffer).toString('latin1');
    if (!/^\d{1,15}$/.test(text)) {
      throw new CommandError('ERR Protocol version is not an integer or out of range');
    }
    const n = Number(text);
    if (n !== 2 && n !== 3) {
      throw new CommandError(
        `NOPROTO unsupported protocol version ${n}; distdb speaks RESP 2 and 3`,
      );
    }
    next = n;
  }
  let name: string | undefined;
  let credentials: [user: Buffer, password: Buffer] | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = (args[i] as Buffer).toString('latin1').toLowerCase();
    if (opt === 'auth' && i + 2 < args.length) {
      credentials = [args[i + 1] as Buffer, args[i + 2] as Buffer];
      i += 2;
    } else if (opt === 'setname' && i + 1 < args.length) {
      name = checkClientName(args[++i] as Buffer);
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${opt}'`);
    }
  }
  const finish = (): Buffer => {
    if (ctx.client.access === null) {
      throw new CommandError(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      );
    }
    if (name !== undefined) ctx.client.name = name === '' ? null : name;
    ctx.client.version = next;
    return encodeReply(helloMap(ctx.client, next), next);
  };
  if (credentials === undefined) return finish();
  return authenticated(ctx, credentials).then(finish);
};

async function authenticated(
  ctx: CommandContext,
  [user, password]: [Buffer, Buffer],
): Promise<void> {
  ctx.client.access = await login(ctx, user, password);
}

function helloMap(client: ClientState, version: RespVersion): RespValue {
  const str = (s: string): RespValue => ({ type: 'bulk', value: Buffer.from(s) });
  return {
    type: 'map',
    value: [
      [str('server'), str(SERVER_NAME)],
      [str('version'), str(REDIS_COMPATIBLE_VERSION)],
      [str('proto'), { type: 'integer', value: version }],
      [str('id'), { type: 'integer', value: client.id }],
      [str('mode'), str('standalone')],
      [str('role'), str('master')],
      [str('modules'), { type: 'array', value: [] }],
    ],
  };
}

/** Redis's rule: printable ASCII without spaces (an empty name clears it). */
function checkClientName(arg: Buffer): string {
  for (const b of arg) {
    if (b < 0x21 || b > 0x7e) {
      throw new CommandError(
        'ERR Client names cannot contain spaces, newlines or special characters.',
      );
    }
  }
  return arg.toString('latin1');
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'LIST',
  '    Return information about all client connections.',
  'SETINFO <LIB-NAME|LIB-VER> <value>',
  '    Record the client library name or version.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'HELP',
  '    Print this help.',
];

/** CLIENT GETNAME | ID | INFO | LIST | SETINFO | SETNAME | HELP */
export const client: Handler = (ctx, args, version) => {
  const sub = (args[1] as Buffer).toString('latin1').toLowerCase();
  const needs = (n: number): void => {
    if (args.length !== n) throw wrongArity(`client|${sub}`);
  };
  switch (sub) {
    case 'setname':
      needs(3);
      {
        const name = checkClientName(args[2] as Buffer);
        ctx.client.name = name === '' ? null : name;
      }
      return OK_REPLY;
    case 'getname':
      needs(2);
      return encodeBulk(ctx.client.name === null ? null : Buffer.from(ctx.client.name), version);
    case 'id':
      needs(2);
      return encodeInteger(ctx.client.id);
    case 'setinfo': {
      needs(4);
      const attr = (args[2] as Buffer).toString('latin1').toLowerCase();
      const value = checkClientName(args[3] as Buffer);
      if (attr === 'lib-name') ctx.client.libName = value;
      else if (attr === 'lib-ver') ctx.client.libVersion = value;
      else throw new CommandError(`ERR Unrecognized option '${attr}'`);
      return OK_REPLY;
    }
    case 'info':
      needs(2);
      return encodeReply(
        { type: 'verbatim', format: 'txt', value: clientLine(ctx.client) + '\n' },
        version,
      );
    case 'list': {
      if (args.length !== 2) throw syntaxError();
      // A user with a key prefix sees only its own connections, not who else is connected.
      const access = ctx.client.access;
      const own = access !== null && access.prefix !== null ? access.principal.user : null;
      const lines = [...ctx.node.clients()]
        .filter((c) => own === null || c.access?.principal.user === own)
        .map((c) => clientLine(c) + '\n')
        .join('');
      return encodeReply({ type: 'verbatim', format: 'txt', value: lines }, version);
    }
    case 'help':
      return encodeReply(
        { type: 'array', value: CLIENT_HELP.map((l) => ({ type: 'simple', value: l })) },
        version,
      );
    default:
      throw new CommandError(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try CLIENT HELP.`);
  }
};

function clientLine(c: ClientState): string {
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  return (
    `id=${c.id} addr=${c.addr} name=${c.name ?? ''} age=${age} db=0 ` +
    `resp=${c.version} lib-name=${c.libName ?? ''} lib-ver=${c.libVersion ?? ''} cmd=${c.lastCommand} ` +
    `user=${c.access?.principal.user ?? ''}`
  );
}
