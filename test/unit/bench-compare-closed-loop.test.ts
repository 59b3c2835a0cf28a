import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runClosedLoop } from '../../bench/compare/closed-loop.js';
import type { KvConnection } from '../../bench/compare/driver.js';
import type { Workload } from '../../bench/compare/workload.js';

/** A connection answering on the next turn of the event loop, counting what it was asked. */
function fake(
  failEvery = 0,
): KvConnection & { puts: number; gets: number; inFlight: number; most: number } {
  let n = 0;
  const c = {
    puts: 0,
    gets: 0,
    inFlight: 0,
    most: 0,
    async op(): Promise<void> {
      c.inFlight++;
      c.most = Math.max(c.most, c.inFlight);
      await new Promise((r) => setImmediate(r));
      c.inFlight--;
      if (failEvery > 0 && ++n % failEvery === 0) throw new Error('TRYAGAIN');
    },
    put: (k: number) => {
      assert.ok(k >= 0 && k < 50 && Number.isInteger(k));
      c.puts++;
      return c.op();
    },
    get: (k: number) => {
      assert.ok(k >= 0 && k < 50 && Number.isInteger(k));
      c.gets++;
      return c.op();
    },
    close: () => Promise.resolve(),
  };
  return c;
}

async function run(workload: Workload, conns: KvConnection[]) {
  const edges: string[] = [];
  const { outcome, done } = runClosedLoop(conns, {
    workload,
    keyCount: 50,
    warmupMs: 30,
    durationMs: 120,
    onWindowStart: () => edges.push('start'),
    onWindowEnd: () => edges.push('end'),
  });
  await done;
  assert.deepEqual(edges, ['start', 'end']);
  return outcome;
}

test('each client keeps exactly one request in flight, and each workload sends what it says', async () => {
  const gets = [fake(), fake()];
  const o = await run('get', gets);
  for (const c of gets) {
    assert.equal(c.puts, 0);
    assert.ok(c.gets > 0);
    assert.equal(c.most, 1);
    assert.equal(c.inFlight, 0); // done means every client has stopped
  }
  assert.ok(o.latency.count > 0 && o.latency.count < gets[0]!.gets + gets[1]!.gets);
  assert.equal(o.errors, 0);
  const puts = fake();
  await run('put', [puts]);
  assert.equal(puts.gets, 0);
  const mixed = fake();
  await run('mixed', [mixed]);
  assert.ok(mixed.gets > 0 && mixed.puts > 0);
});

test('failures are counted and the first is kept, apart from the latencies', async () => {
  const o = await run('put', [fake(3)]);
  assert.ok(o.errors > 0);
  assert.equal(o.firstError, 'TRYAGAIN');
  assert.ok(o.latency.count > 0);
});
