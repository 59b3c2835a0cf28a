import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fifo } from '../../src/client/fifo.js';

test('items come out in the order they went in, across compactions', () => {
  const q = new Fifo<number>();
  let next = 0;
  let expect = 0;
  // Interleave pushes and shifts so the internal array compacts many times.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(next++);
    for (let i = 0; i < 250; i++) assert.equal(q.shift(), expect++);
  }
  assert.equal(q.length, next - expect);
  assert.equal(q.peek(), expect);
  const rest = q.drain();
  assert.deepEqual(
    rest,
    Array.from({ length: next - expect }, (_, i) => expect + i),
  );
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
});
