// The real redis-cli binary against the coordinator (Debian package redis-tools).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startNode, type TestNode } from './coordinator-support.js';

const run = promisify(execFile);
const hasRedisCli = spawnSync('redis-cli', ['--version']).status === 0;
const skip = hasRedisCli ? false : 'redis-cli is not installed (apt-get install redis-tools)';

let node: TestNode;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(node.port), ...args], {
    timeout: 15_000,
  });
  return stdout;
}

before(async () => {
  if (hasRedisCli) node = await startNode();
});

after(async () => {
  await node?.stop();
});

test('redis-cli SET / GET / PUT / DEL', { skip }, async () => {
  assert.equal(await cli('SET', 'city', 'Lyon'), 'OK\n');
  assert.equal(await cli('GET', 'city'), 'Lyon\n');
  assert.equal(await cli('PUT', 'river', 'Rhône'), 'OK\n');
  assert.equal(await cli('GET', 'river'), 'Rhône\n');
  assert.equal(await cli('DEL', 'city', 'river', 'none'), '2\n');
  assert.equal(await cli('GET', 'city'), '\n');
  assert.match(await cli('GET'), /ERR wrong number of arguments for 'get' command/);
});

test('redis-cli INCR, DECRBY, APPEND, STRLEN, GETSET, GETDEL, SETNX', { skip }, async () => {
  assert.equal(await cli('INCR', 'visits'), '1\n');
  assert.equal(await cli('INCRBY', 'visits', '9'), '10\n');
  assert.equal(await cli('DECRBY', 'visits', '20'), '-10\n');
  assert.equal(await cli('DECR', 'visits'), '-11\n');
  assert.equal(await cli('GET', 'visits'), '-11\n');
  assert.match(await cli('INCRBY', 'visits', 'ten'), /ERR value is not an integer or out of range/);
  assert.equal(await cli('APPEND', 'log', 'a'), '1\n');
  assert.equal(await cli('APPEND', 'log', 'bc'), '3\n');
  assert.equal(await cli('STRLEN', 'log'), '3\n');
  assert.match(await cli('INCR', 'log'), /ERR value is not an integer or out of range/);
  assert.equal(await cli('GETSET', 'log', 'd'), 'abc\n');
  assert.equal(await cli('SETNX', 'log', 'e'), '0\n');
  assert.equal(await cli('GETDEL', 'log'), 'd\n');
  assert.equal(await cli('SETNX', 'log', 'e'), '1\n');
});

test('redis-cli INCRBYFLOAT answers as redis-server 7.0.15 did', { skip }, async () => {
  // Each expected line is what redis-cli printed for the same command against redis-server.
  assert.equal(await cli('SET', 'price', '10.50'), 'OK\n');
  assert.equal(await cli('INCRBYFLOAT', 'price', '0.1'), '10.6\n');
  assert.equal(await cli('INCRBYFLOAT', 'price', '-5'), '5.6\n');
  assert.equal(await cli('SET', 'price', '5.0e3'), 'OK\n');
  assert.equal(await cli('INCRBYFLOAT', 'price', '2.0e2'), '5200\n');
  assert.equal(await cli('INCRBYFLOAT', 'fresh', '0.1'), '0.1\n');
  assert.equal(await cli('INCRBYFLOAT', 'fresh', '0.2'), '0.3\n');
  assert.equal(await cli('INCRBYFLOAT', 'fresh', '1e20'), '100000000000000000000\n');
  assert.match(await cli('INCRBYFLOAT', 'price', 'abc'), /^ERR value is not a valid float\n/);
  assert.match(
    await cli('INCRBYFLOAT', 'price', 'inf'),
    /^ERR increment would produce NaN or Infinity\n/,
  );
  assert.match(
    await cli('INCRBYFLOAT', 'price'),
    /^ERR wrong number of arguments for 'incrbyfloat' command\n/,
  );
  assert.equal(await cli('GET', 'price'), '5200\n');
  assert.equal(await cli('SET', 'word', 'hello'), 'OK\n');
  assert.match(await cli('INCRBYFLOAT', 'word', '1'), /^ERR value is not a valid float\n/);
});

test(
  'redis-cli TYPE, TTL, PTTL, PERSIST, TOUCH, UNLINK, GETRANGE; SETEX says keys do not expire',
  { skip },
  async () => {
    assert.equal(await cli('SET', 'word', 'distributed'), 'OK\n');
    assert.equal(await cli('TYPE', 'word'), 'string\n');
    assert.equal(await cli('TYPE', 'nothing'), 'none\n');
    assert.equal(await cli('TTL', 'word'), '-1\n');
    assert.equal(await cli('PTTL', 'nothing'), '-2\n');
    assert.equal(await cli('PERSIST', 'word'), '0\n');
    assert.equal(await cli('TOUCH', 'word', 'word', 'nothing'), '2\n');
    assert.equal(await cli('GETRANGE', 'word', '0', '4'), 'distr\n');
    assert.equal(await cli('GETRANGE', 'word', '-4', '-1'), 'uted\n');
    assert.equal(await cli('SUBSTR', 'word', '5', '100'), 'ibuted\n');
    assert.match(await cli('GETRANGE', 'word', 'one', '2'), /ERR value is not an integer/);
    assert.match(
      await cli('SETEX', 'word', '10', 'v'),
      /ERR unknown command 'SETEX', .*keys do not expire in distdb yet; set the key without an expiry/,
    );
    assert.equal(await cli('UNLINK', 'word', 'nothing'), '1\n');
    assert.equal(await cli('TYPE', 'word'), 'none\n');
  },
);

test('redis-cli SCAN and --scan see every key', { skip }, async () => {
  const keys = Array.from({ length: 35 }, (_, i) => `cli:${i}`);
  assert.equal(await cli('MSET', ...keys.flatMap((k) => [k, 'v'])), 'OK\n');
  const listed = (await cli('--scan', '--pattern', 'cli:*')).trim().split('\n').sort();
  assert.deepEqual(listed, [...keys].sort());
  const ones = (await cli('--scan', '--pattern', 'cli:1*')).trim().split('\n').sort();
  assert.deepEqual(ones, keys.filter((k) => k.startsWith('cli:1')).sort());
  const first = (await cli('SCAN', '0', 'MATCH', 'cli:*', 'COUNT', '5')).trim().split('\n');
  assert.equal(first.length, 6, 'a cursor line and five keys');
  assert.match(first[0] ?? '', /^[1-9]\d*$/);
});

test('redis-cli shell mode (commands on stdin), COMMAND DOCS and HELLO 3', { skip }, async () => {
  const shell = spawnSync('redis-cli', ['-p', String(node.port)], {
    input: 'SET shell yes\nGET shell\nCOMMAND COUNT\n',
    encoding: 'utf8',
    timeout: 15_000,
  });
  assert.equal(shell.status, 0, shell.stderr);
  assert.match(shell.stdout, /^OK\nyes\n\d+\n$/);
  assert.match(await cli('COMMAND', 'DOCS', 'set'), /summary/);
  assert.match(await cli('-3', 'HELLO', '3'), /proto 3\n/);
  assert.match(await cli('INFO', 'server'), /redis_version:/);
});
