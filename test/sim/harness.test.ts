// The simulator's own parts: its randomness, its clock, its disk and its
// network, and that a seed replays exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeDisk } from '../../src/sim/disk.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Network } from '../../src/sim/network.js';
import { Prng } from '../../src/sim/prng.js';
import { SimClient } from '../../src/sim/clients.js';
import { HistoryRecorder } from '../../src/check/history.js';
import { planRun } from '../../src/sim/seed-plan.js';
import { runSimulation } from '../../src/sim/simulation.js';
import type { Entry, Message } from '../../src/raft/types.js';

test('the PRNG is a pure function of its seed, and derived streams are independent', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.next()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => new Prng(43).next()),
  );
  const counts = [0, 0, 0, 0];
  const r = new Prng(7);
  for (let i = 0; i < 4000; i++) counts[r.int(4)]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `skewed: ${counts.join(',')}`);
  assert.notEqual(new Prng(1).derive('x').next(), new Prng(1).derive('y').next());
});

test('events run in virtual-time order, ties in scheduling order', () => {
  const q = new EventQueue();
  const seen: string[] = [];
  q.at(5, () => seen.push('b'));
  q.at(1, () => seen.push('a'));
  q.at(5, () => seen.push('c'));
  q.at(3, () => q.after(2, () => seen.push('d')));
  while (q.runNext());
  assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  assert.equal(q.now, 5);
});

function entry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array([index]) };
}

test('the fake disk appends with truncation and keeps only the tail after a snapshot', () => {
  const d = new FakeDisk({ voters: ['n1'], learners: [] });
  d.write({
    hardState: { term: 1, vote: 'n1', commit: 0 },
    entries: [1, 2, 3].map((i) => entry(i, 1)),
    incomingSnapshot: [],
    snapshot: null,
  });
  d.write({
    hardState: null,
    entries: [entry(3, 2), entry(4, 2)],
    incomingSnapshot: [],
    snapshot: null,
  });
  assert.deepEqual(
    d.entries.map((e) => `${e.index}@${e.term}`),
    ['1@1', '2@1', '3@2', '4@2'],
  );
  d.installSnapshot({
    metadata: { index: 3, term: 2, conf: d.initialConf },
    data: new Uint8Array(),
  });
  assert.deepEqual(
    d.entries.map((e) => e.index),
    [4],
  );
  assert.equal(d.term(3), 2);
  assert.equal(d.restore().hardState.term, 1);
  assert.throws(
    () =>
      d.write({ hardState: null, entries: [entry(9, 2)], incomingSnapshot: [], snapshot: null }),
    /gap/,
  );
});

test('partitions block one direction or both; heal restores the links', () => {
  const q = new EventQueue();
  const got: string[] = [];
  const net = new Network(q, new Prng(1), (m) => got.push(`${m.from}>${m.to}`));
  const msg = (from: string, to: string): Message =>
    ({ from, to, type: 'heartbeat' }) as unknown as Message;
  net.block('a', 'b');
  net.send(msg('a', 'b'));
  net.send(msg('b', 'a'));
  while (q.runNext());
  assert.deepEqual(got, ['b>a']);
  net.heal();
  net.send(msg('a', 'b'));
  while (q.runNext());
  assert.deepEqual(got, ['b>a', 'a>b']);
});

test('a seed replays exactly: same trace, same result', () => {
  const run = (): { trace: string[]; result: unknown } => {
    const trace: string[] = [];
    const result = runSimulation({ ...planRun(5, { steps: 800 }), trace: (l) => trace.push(l) });
    return { trace, result };
  };
  const first = run();
  const second = run();
  assert.ok(first.trace.length > 1000);
  assert.deepEqual(second.trace, first.trace);
  assert.deepEqual(second.result, first.result);
});

test('a write answered session-expired has an unknown outcome: an earlier attempt may have applied', () => {
  const queue = new EventQueue();
  const history = new HistoryRecorder({ now: () => queue.now });
  const client = new SimClient(
    'c1',
    {
      queue,
      nodes: () => ['n1'],
      send: (_to, req, onReply) =>
        queue.after(1, () =>
          onReply(
            req.kind === 'write'
              ? { kind: 'result', result: { op: 'session-expired' } }
              : { kind: 'value', value: null },
          ),
        ),
      history,
      acked: () => assert.fail('a session-expired write must not count as acknowledged'),
      trace: () => {},
    },
    new Prng(3),
  );
  client.start();
  while (client.issued < 20 && queue.runNext());
  client.draining = true;
  while (queue.runNext());
  const writes = history.operations().filter((o) => o.kind !== 'get');
  assert.ok(writes.length > 0);
  for (const w of writes) assert.equal(w.status, 'unknown', `#${w.id} ${w.kind}`);
});
