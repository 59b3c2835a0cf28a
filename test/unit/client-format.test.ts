import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatReply, quote, rawReply } from '../../src/client/format.js';
import type { RespValue } from '../../src/resp/types.js';

const bulk = (s: string | null): RespValue => ({
  type: 'bulk',
  value: s === null ? null : Buffer.from(s),
});

test('scalars read like redis-cli', () => {
  assert.equal(formatReply({ type: 'simple', value: 'OK' }), 'OK');
  assert.equal(formatReply({ type: 'integer', value: 3 }), '(integer) 3');
  assert.equal(
    formatReply({ type: 'integer', value: 2n ** 70n }),
    '(integer) 1180591620717411303424',
  );
  assert.equal(formatReply({ type: 'error', value: 'ERR no such key' }), '(error) ERR no such key');
  assert.equal(formatReply(bulk(null)), '(nil)');
  assert.equal(formatReply({ type: 'null' }), '(nil)');
  assert.equal(formatReply({ type: 'boolean', value: true }), '(true)');
  assert.equal(formatReply({ type: 'double', value: 1.5 }), '(double) 1.5');
});

test('bulk text is shown as text, empty as ""', () => {
  assert.equal(formatReply(bulk('hello world')), 'hello world');
  assert.equal(formatReply(bulk('héllo ✓')), 'héllo ✓');
  assert.equal(formatReply(bulk('')), '""');
});

test('JSON documents are pretty-printed; text that only looks like JSON is left alone', () => {
  assert.equal(formatReply(bulk('{"a":1,"b":[true]}')), '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}');
  assert.equal(formatReply(bulk('[not json')), '[not json');
});

test('binary values are quoted with escapes the shell can read back', () => {
  assert.equal(formatBytes(Buffer.from([0x00, 0xff, 0x41])), '"\\x00\\xffA"');
  assert.equal(formatBytes(Buffer.from('a\rb')), '"a\\rb"');
  assert.equal(quote(Buffer.from('say "hi"\\')), '"say \\"hi\\"\\\\"');
});

test('arrays are numbered, nested arrays indented, index width aligned', () => {
  const v: RespValue = {
    type: 'array',
    value: [bulk('a'), { type: 'array', value: [bulk('b'), bulk('c')] }, bulk(null)],
  };
  assert.equal(formatReply(v), '1) a\n2) 1) b\n   2) c\n3) (nil)');
  const ten: RespValue = {
    type: 'array',
    value: Array.from({ length: 10 }, (_, i) => bulk(`v${i}`)),
  };
  const lines = formatReply(ten).split('\n');
  assert.equal(lines[0], ' 1) v0');
  assert.equal(lines[9], '10) v9');
  assert.equal(formatReply({ type: 'array', value: [] }), '(empty array)');
  assert.equal(formatReply({ type: 'array', value: null }), '(nil)');
});

test('a multi-line value inside an array stays under its number', () => {
  const v: RespValue = { type: 'array', value: [bulk('{"a":1}')] };
  assert.equal(formatReply(v), '1) {\n     "a": 1\n   }');
});

test('RESP3 maps show key => value', () => {
  const v: RespValue = {
    type: 'map',
    value: [
      [bulk('server'), bulk('distdb')],
      [bulk('proto'), { type: 'integer', value: 3 }],
    ],
  };
  assert.equal(formatReply(v), '1# server => distdb\n2# proto => (integer) 3');
});

test('raw output is the stored bytes', () => {
  assert.deepEqual(rawReply(bulk('{"a":1}')), Buffer.from('{"a":1}'));
  assert.deepEqual(rawReply({ type: 'array', value: [bulk('x'), bulk('y')] }), Buffer.from('x\ny'));
});
