// A leader of three nodes sends one follower its entries lazily
// (lazy-followers.ts): the other follower and the leader are the quorum, so
// the lazy one gets every --lazy-follower-ms what gathered, in one frame, and
// its engine appends more entries at a time. A follower whose clients read is
// sent its entries at once; when the partner dies, the lazy follower becomes
// the partner, and no write is lost.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { parsePrometheusText, seriesKey } from '../helpers/prometheus-text.js';
import { TestCluster } from './cluster-support.js';
import { runDistdb } from './node-helpers.js';

// Longer than the default 15 ms, so the lazy follower's batches are large
// even on a loaded machine where one write takes several ms.
const LAZY_MS = 60;

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start(3, ['--http-port', '0', '--lazy-follower-ms', String(LAZY_MS)]);
});

after(async () => {
  await cluster?.stop();
});

/** The followers the leader sends lazily, from its CLUSTER STATUS. */
async function lazyOn(leader: string): Promise<string[]> {
  const s = await cluster.status(cluster.node(leader));
  return s.members.filter((m) => m.lazy === true).map((m) => m.id);
}

async function waitLazy(leader: string, want: number, why: string): Promise<string[]> {
  let lazy: string[] = [];
  for (let i = 0; i < 100; i++) {
    lazy = await lazyOn(leader);
    if (lazy.length === want) return lazy;
    await sleep(50);
  }
  assert.fail(`${why}: the leader lists ${JSON.stringify(lazy)} as lazy`);
}

/** Storage appends made by node `id` so far, and the entries they carried. */
async function appends(id: string): Promise<{ count: number; entries: number }> {
  const m = /http=(\d+)/.exec(cluster.node(id).proc!.output());
  assert.ok(m, `node ${id} printed no HTTP port`);
  const s = parsePrometheusText(await (await fetch(`http://127.0.0.1:${m[1]}/metrics`)).text());
  const read = (name: string): number =>
    s.samples.get(seriesKey(name, { op: 'append' })) ?? assert.fail(`no ${name} on ${id}`);
  return {
    count: read('distdb_storage_batch_size_count'),
    entries: read('distdb_storage_batch_size_sum'),
  };
}

const acked = new Map<string, string>();
let leader = '';
let lazy = '';
let partner = '';

test('one follower of three is lazy: its engine appends several writes at a time', async () => {
  leader = await cluster.waitForLeader();
  const c = await cluster.client(cluster.node(leader));
  await c.command('SET', 'warm', 'up');
  acked.set('warm', 'up');
  [lazy] = (await waitLazy(leader, 1, 'one follower lazy')) as [string];
  partner = ['n1', 'n2', 'n3'].find((id) => id !== leader && id !== lazy) as string;
  const before = { lazy: await appends(lazy), partner: await appends(partner) };
  for (let i = 0; i < 150; i++) {
    await c.command('SET', `k${i}`, `v${i}`);
    acked.set(`k${i}`, `v${i}`);
  }
  await sleep(LAZY_MS * 3); // the lazy follower's last wait, and its append
  const after = { lazy: await appends(lazy), partner: await appends(partner) };
  const perAppend = (who: 'lazy' | 'partner'): number =>
    (after[who].entries - before[who].entries) / (after[who].count - before[who].count);
  const lazyPer = perAppend('lazy');
  const partnerPer = perAppend('partner');
  assert.ok(after.lazy.entries - before.lazy.entries >= 150, 'the lazy follower has every write');
  assert.ok(
    lazyPer >= 2 * partnerPer,
    `entries per append: lazy ${lazy} ${lazyPer.toFixed(1)}, partner ${partner} ${partnerPer.toFixed(1)}`,
  );
  assert.deepEqual(await lazyOn(leader), [lazy]);
  const shown = await runDistdb(['cluster', 'status', '--port', String(cluster.node(leader).port)]);
  const rows = shown.stdout.split('\n').filter((l) => l.endsWith('(lazy)'));
  assert.deepEqual(
    rows.map((l) => l.split(' ')[0]),
    [lazy],
    `distdb cluster status marks the lazy follower:\n${shown.stdout}`,
  );
  await cluster.assertAckedEverywhere(acked);
});

test('a follower whose clients read is sent its entries at once', async () => {
  const r = await cluster.client(cluster.node(lazy));
  const w = await cluster.client(cluster.node(leader));
  await w.command('SET', 'read-me', 'fresh');
  acked.set('read-me', 'fresh');
  assert.equal(String(await r.command('GET', 'read-me')), 'fresh');
  assert.deepEqual(await lazyOn(leader), [], `${lazy} reads, so it is not lazy`);
  // While it reads, a write through the leader is on it as soon as on the partner.
  for (let i = 0; i < 10; i++) {
    await w.command('SET', 'read-me', `fresh ${i}`);
    assert.equal(String(await r.command('GET', 'read-me')), `fresh ${i}`);
  }
  acked.set('read-me', 'fresh 9');
  // READER_MS (1 s) after its last read it is lazy again.
  assert.deepEqual(await waitLazy(leader, 1, 'lazy again once it stopped reading'), [lazy]);
});

test('when the partner dies the lazy follower is sent at once, and no write is lost', async () => {
  const c = await cluster.client(cluster.node(leader));
  await cluster.kill9(cluster.node(partner));
  for (let i = 0; i < 50; i++) {
    await c.command('SET', `after-kill-${i}`, String(i));
    acked.set(`after-kill-${i}`, String(i));
  }
  await waitLazy(leader, 0, 'the only follower left is the partner');
  await cluster.run(cluster.node(partner));
  // Back and caught up: one of the two followers is lazy again.
  await waitLazy(leader, 1, 'the restarted follower caught up');
  await cluster.assertAckedEverywhere(acked);
});
