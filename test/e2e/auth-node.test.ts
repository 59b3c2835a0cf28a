// Authentication on a real node (`distdb node` with --requirepass via
// NODE_PASSWORD and a users file): who is refused what, with which error, and
// that no password ever shows in the node's logs, INFO, CONFIG GET or CLIENT LIST.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthError,
  connect,
  PermissionError,
  ReplyError,
  type Client,
} from '../../src/client/index.js';
import { COMMANDS, type CommandSpec } from '../../src/coordinator/command-table.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { RawConnection, text } from './coordinator-support.js';
import { NODE_READY, runDistdb } from './node-helpers.js';

const ADMIN_PW = 'admin-Pw-7f3a9c';
const APP_PW = 'app-Pw-91bd20';
const VIEW_PW = 'view-Pw-c44e1e';
const SECRETS = [ADMIN_PW, APP_PW, VIEW_PW];

const dir = tempDir('distdb-auth-');
let port = 0;
let node: Proc;
let hashes: string[] = [];
/** Output of nodes already stopped (the reconnect test restarts it). */
let earlierOutput = '';
const clients: Client[] = [];

async function startAuthNode(): Promise<Proc> {
  const proc = startDistdb(
    [
      'node',
      '--data-dir',
      join(dir.path, 'data'),
      '--port',
      String(port),
      '--users-file',
      join(dir.path, 'users.json'),
      '--log-level',
      'debug',
    ],
    { env: { NODE_PASSWORD: ADMIN_PW } },
  );
  await proc.waitFor(NODE_READY);
  return proc;
}

before(async () => {
  // The users file is made as an operator would: entries printed by distdb hash-password.
  const entries = await Promise.all([
    runDistdb(['hash-password', '--user', 'app', '--key-prefix', 'app:'], { input: `${APP_PW}\n` }),
    runDistdb(['hash-password', '--user', 'viewer', '--permission', 'read'], { input: VIEW_PW }),
  ]);
  const users = entries.map((e) => JSON.parse(e.stdout) as { passwordHash: string });
  hashes = users.map((u) => u.passwordHash);
  writeFileSync(join(dir.path, 'users.json'), JSON.stringify({ users }));
  port = await freePort();
  node = await startAuthNode();
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.stop();
  dir.remove();
});

async function client(opts: { user?: string; password?: string } = {}): Promise<Client> {
  const c = await connect({ port, ...opts });
  clients.push(c);
  return c;
}

/** The command with the fewest arguments its arity allows, keys named `key`. */
function minimalArgs(c: CommandSpec, key: string): string[] {
  const n = Math.abs(c.arity);
  return [c.name, ...Array.from({ length: n - 1 }, () => key)];
}

async function errorOf(c: Client, args: string[]): Promise<string> {
  const r = await c.raw(args);
  return r.type === 'error' ? r.value : `(not an error: ${text(r)})`;
}

test('without AUTH every command but AUTH, HELLO, PING and QUIT is refused with NOAUTH', async () => {
  const anon = await client();
  const open = ['auth', 'hello', 'ping', 'quit'];
  for (const c of COMMANDS.filter((x) => !open.includes(x.name))) {
    assert.match(
      await errorOf(anon, minimalArgs(c, 'anon:k')),
      /^NOAUTH Authentication required\. Send AUTH <password>/,
      c.name,
    );
  }
  assert.equal(await anon.ping(), 'PONG');
  await assert.rejects(anon.get('x'), (err: unknown) => {
    assert.ok(err instanceof AuthError && err.code === 'NOAUTH');
    return true;
  });
  const admin = await client({ password: ADMIN_PW });
  assert.equal(await admin.get('anon:k'), null, 'no refused write took effect');
});

test('a wrong password gets WRONGPASS, and then NOAUTH for every command', async () => {
  await assert.rejects(connect({ port, password: 'nope', reconnect: false }), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.message, 'WRONGPASS invalid username-password pair or user is disabled.');
    return true;
  });
  await assert.rejects(connect({ port, user: 'app', password: ADMIN_PW }), AuthError);
  await assert.rejects(connect({ port, user: 'ghost', password: APP_PW }), AuthError);
  const raw = await RawConnection.open(port);
  try {
    assert.equal(
      text(await raw.command('AUTH', 'viewer', APP_PW)),
      `(error) WRONGPASS invalid username-password pair or user is disabled.`,
    );
    for (const c of COMMANDS.filter((x) => !x.flags.includes('no_auth'))) {
      assert.match(
        text(await raw.command(...minimalArgs(c, 'wrong:k'))),
        /^\(error\) NOAUTH/,
        c.name,
      );
    }
  } finally {
    raw.close();
  }
  const admin = await client({ password: ADMIN_PW });
  const stats = text(await admin.raw(['INFO', 'stats']));
  assert.ok(Number(/acl_access_denied_auth:(\d+)/.exec(stats)?.[1]) >= 4, stats);
});

test('AUTH pipelined with the commands after it: they run as the user it names', async () => {
  const raw = await RawConnection.open(port);
  try {
    raw.write(
      `AUTH ${ADMIN_PW}\r\nSET pipelined 1\r\nGET pipelined\r\nAUTH viewer ${VIEW_PW}\r\nSET pipelined 2\r\nGET pipelined\r\n`,
    );
    const replies = (await raw.read(6)).map(text);
    assert.deepEqual(replies.slice(0, 4), ['OK', 'OK', '1', 'OK']);
    assert.match(replies[4] ?? '', /NOPERM .*'set'/);
    assert.equal(replies[5], '1');
  } finally {
    raw.close();
  }
});

test('a read-only user can read but every write command is refused, naming it', async () => {
  const admin = await client({ password: ADMIN_PW });
  await admin.set('ro:k', 'before');
  const viewer = await client({ user: 'viewer', password: VIEW_PW });
  assert.equal(await viewer.getString('ro:k'), 'before');
  for (const c of COMMANDS.filter((x) => x.flags.includes('write'))) {
    assert.equal(
      await errorOf(viewer, minimalArgs(c, 'ro:k')),
      `NOPERM User viewer has no permissions to run the '${c.name}' command: the user is read-only`,
    );
  }
  await assert.rejects(viewer.set('ro:k', 'x'), PermissionError);
  const writes = COMMANDS.filter((x) => x.flags.includes('write')).length;
  const stats = text(await admin.raw(['INFO', 'stats']));
  assert.ok(Number(/acl_access_denied_cmd:(\d+)/.exec(stats)?.[1]) >= writes + 1, stats);
  assert.match(await errorOf(viewer, ['CLUSTER', 'REMOVE', 'n1']), /^NOPERM .*'cluster\|remove'/);
  assert.equal(await admin.getString('ro:k'), 'before');
});

test('a prefix user touches only its own keys; SCAN shows only them', async () => {
  const admin = await client({ password: ADMIN_PW });
  await admin.mset({ 'other:1': 'x', 'app:0': 'mine' });
  const app = await client({ user: 'app', password: APP_PW });
  await app.set('app:1', 'a');
  await app.mset({ 'app:2': 'b', 'app:3': 'c' });
  assert.deepEqual(
    (await app.mget(['app:1', 'app:2'])).map((v) => v?.toString()),
    ['a', 'b'],
  );
  assert.equal(await app.command('CAS', 'app:1', 'a', 'a2'), 1);
  assert.equal(await app.exists('app:1', 'app:9'), 1);
  const refused: string[][] = [
    ['GET', 'other:1'],
    ['SET', 'other:1', 'y'],
    ['MGET', 'app:1', 'other:1'],
    ['MSET', 'app:1', 'v', 'other:1', 'y'],
    ['DEL', 'other:1'],
    ['EXISTS', 'app:1', 'other:1'],
    ['CAS', 'other:1', 'x', 'y'],
  ];
  for (const args of refused) {
    assert.equal(
      await errorOf(app, args),
      "NOPERM No permissions to access the key 'other:1': user app may only use keys starting with 'app:'",
      args.join(' '),
    );
  }
  assert.match(await errorOf(app, ['DBSIZE']), /^NOPERM .*'dbsize'/);
  const scanned = async (match?: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const k of app.scan(match === undefined ? {} : { match })) keys.push(k.toString());
    return keys.sort();
  };
  assert.deepEqual(await scanned(), ['app:0', 'app:1', 'app:2', 'app:3']);
  assert.deepEqual(await scanned('*'), ['app:0', 'app:1', 'app:2', 'app:3']);
  assert.deepEqual(await scanned('app:[12]'), ['app:1', 'app:2']);
  assert.deepEqual(await scanned('other:*'), []);
  assert.equal(await admin.getString('other:1'), 'x', 'no refused write took effect');
  // Node-wide figures stay hidden: no key count in INFO, no other users' connections.
  assert.match(text(await admin.raw(['INFO', 'keyspace'])), /db0:keys=\d+/);
  assert.doesNotMatch(text(await app.raw(['INFO', 'keyspace'])), /db0:/);
  assert.doesNotMatch(text(await app.raw(['INFO'])), /db0:/);
  const listed = (c: Client) =>
    c.raw(['CLIENT', 'LIST']).then((r) => [...text(r).matchAll(/user=(\S*)/g)].map((m) => m[1]));
  assert.ok((await listed(admin)).includes('app'), 'an admin sees every connection');
  const seen = await listed(app);
  assert.ok(seen.length > 0 && seen.every((u) => u === 'app'), `app sees only its own: ${seen}`);
});

test('HELLO 3 AUTH authenticates and SETNAME applies only once authenticated', async () => {
  const raw = await RawConnection.open(port);
  try {
    assert.match(
      text(await raw.command('HELLO', '3', 'SETNAME', 'early')),
      /^\(error\) NOAUTH HELLO must be called/,
    );
    assert.match(
      text(await raw.command('HELLO', '3', 'AUTH', 'app', 'bad', 'SETNAME', 'bad')),
      /WRONGPASS/,
    );
    const ok = await raw.command('HELLO', '3', 'AUTH', 'app', APP_PW, 'SETNAME', 'appconn');
    assert.equal(ok.type, 'map');
    assert.equal(text(await raw.command('CLIENT', 'GETNAME')), 'appconn');
    assert.match(text(await raw.command('CLIENT', 'INFO')), /name=appconn .*resp=3 .*user=app/);
  } finally {
    raw.close();
  }
});

test('the client library authenticates again after reconnecting to a restarted node', async () => {
  const c = await client({ user: 'app', password: APP_PW });
  await c.set('app:before', '1');
  await node.stop();
  earlierOutput += node.output();
  node = await startAuthNode();
  assert.equal(await c.getString('app:before'), '1');
});

test('no password or hash shows in the node log, INFO, CONFIG GET or CLIENT LIST', async () => {
  const admin = await client({ password: ADMIN_PW });
  const seen = [
    text(await admin.raw(['INFO', 'everything'])),
    text(await admin.raw(['CONFIG', 'GET', '*'])),
    text(await admin.raw(['CLIENT', 'LIST'])),
    earlierOutput,
    node.output(),
  ].join('\n');
  assert.match(seen, /"auth":true,"msg":"coordinator listening"/, 'the log is captured');
  for (const secret of [...SECRETS, ...hashes, ...hashes.map((h) => h.split('$')[5] as string)]) {
    assert.ok(!seen.includes(secret), `found a secret: ${secret.slice(0, 12)}…`);
  }
});

const hasRedisCli = spawnSync('redis-cli', ['--version']).status === 0;
test('redis-cli -a and --user/--pass work', { skip: hasRedisCli ? false : 'no redis-cli' }, () => {
  const cli = (...args: string[]): string =>
    spawnSync('redis-cli', ['-p', String(port), '--no-auth-warning', ...args], {
      encoding: 'utf8',
    }).stdout.trim();
  assert.equal(cli('-a', ADMIN_PW, 'SET', 'cli:k', 'v'), 'OK');
  assert.equal(cli('--user', 'app', '--pass', APP_PW, 'GET', 'app:1'), 'a2');
  assert.match(cli('GET', 'cli:k'), /NOAUTH/);
});

test('a reply error stays a ReplyError (AuthError and PermissionError extend it)', () => {
  assert.ok(new AuthError('NOAUTH x', 'GET') instanceof ReplyError);
  assert.ok(new PermissionError('NOPERM x', 'GET') instanceof ReplyError);
});

test('bad auth settings stop the node at start with a message naming the setting', async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['--users-file', join(dir.path, 'missing.json')],
      /cannot read the users file .*missing\.json: ENOENT/,
    ],
    [['--protected-mode', 'maybe'], /--protected-mode \/ NODE_PROTECTED_MODE\) must be yes or no/],
    [['--requirepass', ''], /the password \(--requirepass\) is empty/],
  ];
  for (const [flags, re] of cases) {
    const r = await runDistdb([
      'node',
      '--data-dir',
      join(dir.path, 'unused'),
      '--port',
      '0',
      ...flags,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
  }
});
