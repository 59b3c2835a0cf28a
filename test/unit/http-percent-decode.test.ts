import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentDecode } from '../../src/coordinator/http/percent-decode.js';

test('percent-escapes are bytes, other characters their UTF-8', () => {
  assert.deepEqual(percentDecode('plain'), Buffer.from('plain'));
  assert.deepEqual(percentDecode('user%3A1'), Buffer.from('user:1'));
  assert.deepEqual(percentDecode('%00%ff%FF'), Buffer.from([0, 255, 255]));
  assert.deepEqual(percentDecode('é%C3%A9'), Buffer.from('éé'));
  assert.deepEqual(percentDecode('a%20'), Buffer.from('a '));
});

test('a malformed escape is refused, not guessed', () => {
  for (const bad of ['%', '%4', '%zz', 'a%g0b']) assert.equal(percentDecode(bad), null, bad);
});
