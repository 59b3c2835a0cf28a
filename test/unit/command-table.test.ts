import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arityAccepts,
  COMMAND_TABLE,
  COMMANDS,
  keyIndexes,
} from '../../src/coordinator/command-table.js';

const REQUIRED = [
  'ping',
  'echo',
  'get',
  'set',
  'put',
  'del',
  'delete',
  'exists',
  'unlink',
  'touch',
  'type',
  'ttl',
  'pttl',
  'persist',
  'mget',
  'mset',
  'setnx',
  'getset',
  'getdel',
  'append',
  'strlen',
  'getrange',
  'substr',
  'incr',
  'decr',
  'incrby',
  'decrby',
  'scan',
  'dbsize',
  'info',
  'hello',
  'command',
  'config',
  'client',
  'select',
  'quit',
];

test('every command the protocol promises is in the table, once, in lower case', () => {
  for (const name of REQUIRED) assert.ok(COMMAND_TABLE.get(name), `missing ${name}`);
  const names = COMMANDS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'duplicate rows');
  for (const n of names) assert.equal(n, n.toLowerCase());
  assert.equal(COMMAND_TABLE.size, COMMANDS.length, 'COMMAND COUNT (table size) matches the rows');
});

test('rows are consistent: arity, flags, key positions', () => {
  for (const c of COMMANDS) {
    assert.ok(c.arity !== 0, `${c.name}: arity 0 would accept nothing`);
    assert.ok(
      !(c.flags.includes('write') && c.flags.includes('readonly')),
      `${c.name}: write and readonly`,
    );
    if (c.firstKey > 0) {
      assert.ok(c.step > 0, `${c.name}: keys need a step`);
      assert.ok(c.lastKey < 0 || c.lastKey >= c.firstKey, `${c.name}: lastKey before firstKey`);
      const minArgs = Math.abs(c.arity);
      assert.ok(c.firstKey < minArgs, `${c.name}: first key beyond the minimum arity`);
    } else {
      assert.equal(c.lastKey, 0, `${c.name}: lastKey without firstKey`);
    }
    assert.ok(c.summary.length > 0 && c.since.length > 0 && c.usage !== undefined);
  }
  // Storage access decides ordering of pipelined commands (client-connection.ts): get it right.
  const writes = ['set', 'put', 'mset', 'del', 'delete', 'unlink', 'setnx', 'getset', 'getdel'];
  for (const name of [...writes, 'append', 'incr', 'decr', 'incrby', 'decrby', 'persist']) {
    assert.ok(COMMAND_TABLE.get(name)?.flags.includes('write'), `${name} must be a write`);
  }
  const reads = ['get', 'mget', 'exists', 'touch', 'type', 'ttl', 'pttl', 'getrange', 'substr'];
  for (const name of [...reads, 'scan', 'dbsize', 'strlen']) {
    assert.ok(COMMAND_TABLE.get(name)?.flags.includes('readonly'), `${name} must be readonly`);
  }
  for (const name of ['ping', 'echo', 'hello', 'client', 'select', 'quit', 'command', 'config']) {
    const flags = COMMAND_TABLE.get(name)?.flags ?? [];
    assert.ok(!flags.includes('write') && !flags.includes('readonly'), `${name} touches no keys`);
  }
});

test('arity follows the Redis convention: positive exact, negative at least', () => {
  const get = COMMAND_TABLE.get('get')!;
  assert.equal(arityAccepts(get, 1), false);
  assert.equal(arityAccepts(get, 2), true);
  assert.equal(arityAccepts(get, 3), false);
  const set = COMMAND_TABLE.get('set')!;
  assert.equal(arityAccepts(set, 2), false);
  assert.equal(arityAccepts(set, 3), true);
  assert.equal(arityAccepts(set, 6), true);
  const ping = COMMAND_TABLE.get('ping')!;
  assert.equal(arityAccepts(ping, 1), true);
});

test('key positions: single key, all keys, every other word (MSET)', () => {
  assert.deepEqual(keyIndexes(COMMAND_TABLE.get('get')!, 2), [1]);
  assert.deepEqual(keyIndexes(COMMAND_TABLE.get('set')!, 5), [1]);
  assert.deepEqual(keyIndexes(COMMAND_TABLE.get('del')!, 4), [1, 2, 3]);
  assert.deepEqual(keyIndexes(COMMAND_TABLE.get('mset')!, 7), [1, 3, 5]);
  assert.deepEqual(keyIndexes(COMMAND_TABLE.get('scan')!, 4), []);
});
