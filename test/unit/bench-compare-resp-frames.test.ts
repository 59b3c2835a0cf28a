import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeKeySpace } from '../../bench/compare/keyspace.js';
import { replyLength, RespFrames } from '../../bench/compare/resp-frames.js';

test('requests are RESP arrays of bulk strings, one SET and one GET per key', () => {
  const space = makeKeySpace(12, 5);
  assert.equal(space.keys[3]?.toString(), 'key:03');
  assert.equal(space.value.toString(), 'abcde');
  const frames = new RespFrames(space);
  assert.equal(frames.set.length, 12);
  assert.equal(frames.get[11]?.toString(), '*2\r\n$3\r\nGET\r\n$6\r\nkey:11\r\n');
  assert.equal(frames.set[0]?.toString(), '*3\r\n$3\r\nSET\r\n$6\r\nkey:00\r\n$5\r\nabcde\r\n');
});

test('a reply is recognised when, and only when, it is complete', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  assert.equal(replyLength(b('+OK\r\n')), 5);
  assert.equal(replyLength(b('+OK\r')), -1);
  assert.equal(replyLength(b('-ERR no\r\n')), 9);
  assert.equal(replyLength(b(':12\r\n')), 5);
  assert.equal(replyLength(b('$-1\r\n')), 5);
  assert.equal(replyLength(b('$5\r\nhel')), -1);
  assert.equal(replyLength(b('$5\r\nhello\r')), -1);
  assert.equal(replyLength(b('$5\r\nhello\r\n')), 11);
  // A value may itself hold CRLF: the length, not the first CRLF, ends it.
  assert.equal(replyLength(b('$4\r\na\r\nb\r\n')), 10);
  assert.equal(replyLength(b('$10')), -1);
});

test('a reply SET or GET never gets is an error that says what came', () => {
  assert.throws(() => replyLength(Buffer.from('*1\r\n$1\r\na\r\n')), /unexpected reply.*\*1/);
  assert.throws(() => replyLength(Buffer.from('$x\r\n')), /malformed bulk length/);
});
