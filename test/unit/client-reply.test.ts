import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyError } from '../../src/client/errors.js';
import { toReply } from '../../src/client/reply.js';

test('replies become plain values; bulk strings become Buffers without a copy', () => {
  const bytes = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
  const b = toReply({ type: 'bulk', value: bytes }, 'GET');
  assert.ok(Buffer.isBuffer(b));
  assert.deepEqual(b, Buffer.from([2, 3]));
  assert.equal((b as Buffer).buffer, bytes.buffer);
  assert.equal(toReply({ type: 'bulk', value: null }, 'GET'), null);
  assert.equal(toReply({ type: 'simple', value: 'OK' }, 'SET'), 'OK');
  assert.equal(toReply({ type: 'integer', value: 7 }, 'DEL'), 7);
  assert.equal(toReply({ type: 'integer', value: 2n ** 64n }, 'X'), 2n ** 64n);
  assert.equal(toReply({ type: 'null' }, 'GET'), null);
  assert.equal(toReply({ type: 'boolean', value: false }, 'X'), false);
  assert.equal(toReply({ type: 'double', value: 0.5 }, 'X'), 0.5);
  assert.equal(toReply({ type: 'verbatim', format: 'txt', value: 'hi' }, 'INFO'), 'hi');
});

test('a RESP3 map becomes a flat [key, value, ...] array, as RESP2 sends it', () => {
  const r = toReply(
    {
      type: 'map',
      value: [
        [
          { type: 'simple', value: 'proto' },
          { type: 'integer', value: 3 },
        ],
        [
          { type: 'simple', value: 'mode' },
          { type: 'simple', value: 'standalone' },
        ],
      ],
    },
    'HELLO',
  );
  assert.deepEqual(r, ['proto', 3, 'mode', 'standalone']);
});

test('an error inside an array becomes a ReplyError element, not a throw', () => {
  const r = toReply(
    {
      type: 'array',
      value: [
        { type: 'simple', value: 'OK' },
        { type: 'error', value: 'TRYAGAIN later' },
      ],
    },
    'EXEC',
  );
  assert.ok(Array.isArray(r));
  const e = r[1];
  assert.ok(e instanceof ReplyError);
  assert.equal(e.code, 'TRYAGAIN');
});

test('ReplyError takes the code word from the reply; a bare message counts as ERR', () => {
  assert.equal(new ReplyError('CLUSTERDOWN no leader; retry', 'SET').code, 'CLUSTERDOWN');
  assert.equal(new ReplyError('ERR wrong number of arguments', 'GET').code, 'ERR');
  assert.equal(new ReplyError('something went wrong', 'GET').code, 'ERR');
  assert.equal(new ReplyError('NOAUTH', 'GET').code, 'NOAUTH');
  assert.equal(new ReplyError('TRYAGAIN x', 'GET').message, 'TRYAGAIN x');
});
