// `distdb client` as a user runs it: one command with exit codes, and the
// shell driven through a pipe.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/processes.js';
import { nodeForFile, runDistdb } from './node-helpers.js';

const shared = nodeForFile();

test('one command: prints the reply and exits 0', async () => {
  const set = await runDistdb([
    'client',
    '--port',
    String(shared.port),
    'PUT',
    'cli:greeting',
    'hello world',
  ]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'OK\n');
  const get = await runDistdb(['client', '--port', String(shared.port), 'GET', 'cli:greeting']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.stdout, 'hello world\n');
  const missing = await runDistdb(['client', '--port', String(shared.port), 'GET', 'cli:missing']);
  assert.equal(missing.code, 0);
  assert.equal(missing.stdout, '(nil)\n');
});

test('arguments that look like options are passed through to the command', async () => {
  const set = await runDistdb(['client', '--port', String(shared.port), 'SET', 'cli:neg', '-1']);
  assert.equal(set.code, 0, set.stderr);
  const get = await runDistdb(['client', '--port', String(shared.port), 'GET', 'cli:neg']);
  assert.equal(get.stdout, '-1\n');
});

test('one command: an error reply exits 1 and says what went wrong on stderr', async () => {
  const r = await runDistdb(['client', '--port', String(shared.port), 'GET']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^\(error\) ERR .*wrong number of arguments/i);
});

test('no node: exits 1 and says how to start one', async () => {
  const closed = await freePort();
  const r = await runDistdb(['client', '--port', String(closed), 'GET', 'k']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Is a node running on 127\\.0\\.0\\.1:${closed}\\?`));
  assert.match(r.stderr, /npm start/);
});

test('HOST_PORT from the environment, and from .env in the working directory', async () => {
  const env = await runDistdb(['client', 'PING'], { env: { HOST_PORT: String(shared.port) } });
  assert.equal(env.code, 0, env.stderr);
  assert.equal(env.stdout, 'PONG\n');
  const cwd = join(shared.dir, 'app');
  mkdirSync(cwd);
  writeFileSync(join(cwd, '.env'), `HOST_IP_ADDR=127.0.0.1\nHOST_PORT=${shared.port}\n`);
  const dotenv = await runDistdb(['client', 'PING'], { cwd });
  assert.equal(dotenv.code, 0, dotenv.stderr);
  assert.equal(dotenv.stdout, 'PONG\n');
});

test('the shell through a pipe runs each line and prints readable replies', async () => {
  const input = [
    'PUT a b',
    'GET a',
    'GET nothing-here',
    'SET doc \'{"name":"distdb","tags":["kv"]}\'',
    'GET doc',
    'MGET a nothing-here',
    'EXISTS a doc',
    'SET broken "unbalanced',
    'NOSUCHCOMMAND',
    'help GET',
    'GET a',
  ].join('\n');
  const r = await runDistdb(['client', '--port', String(shared.port)], { input: input + '\n' });
  assert.equal(r.code, 0, r.stderr);
  const expected = [
    'OK',
    'b',
    '(nil)',
    'OK',
    '{',
    '  "name": "distdb",',
    '  "tags": [',
    '    "kv"',
    '  ]',
    '}',
    '1) b',
    '2) (nil)',
    '(integer) 2',
    '(error) unbalanced quotes: close the quote, or escape it (\\" inside "...", \\\' inside \'...\')',
  ];
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, expected.length), expected);
  const rest = lines.slice(expected.length).join('\n');
  assert.match(rest, /^\(error\) ERR .*NOSUCHCOMMAND/im);
  assert.match(rest, /GET key\n {2}The value of key/);
  assert.match(rest, /\nb\n$/);
});

test('the shell stops at quit, and leaves nothing unsent before it', async () => {
  const r = await runDistdb(['client', '--port', String(shared.port)], {
    input: 'SET q 1\nquit\nSET q 2\n',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'OK\n');
  const get = await runDistdb(['client', '--port', String(shared.port), 'GET', 'q']);
  assert.equal(get.stdout, '1\n');
});
