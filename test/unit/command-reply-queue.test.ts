import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyQueue } from '../../src/coordinator/reply-queue.js';

test('replies leave in request order whatever order they complete in', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 3000 })
        .chain((n) =>
          fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n })),
        ),
      ([n, completionOrder]) => {
        const q = new ReplyQueue();
        const tickets = Array.from({ length: n }, () => q.push(null));
        const out: Buffer[] = [];
        for (const i of completionOrder) {
          q.fill(tickets[i] as number, Buffer.from(String(i)));
          q.takeReady(out);
        }
        assert.equal(q.length, 0);
        assert.deepEqual(
          out.map((b) => Number(b.toString())),
          [...Array(n).keys()],
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('nothing leaves while the first reply is pending; tickets survive compaction', () => {
  const q = new ReplyQueue();
  const out: Buffer[] = [];
  for (let i = 0; i < 5000; i++) q.push(Buffer.from('r'));
  const slow = q.push(null);
  q.push(Buffer.from('after'));
  q.takeReady(out);
  assert.equal(out.length, 5000);
  assert.equal(q.length, 2);
  q.fill(slow, Buffer.from('slow'));
  q.takeReady(out);
  assert.deepEqual(out.slice(-2).map(String), ['slow', 'after']);
});
