// A three-node cluster's metrics, scraped from every node's GET /metrics:
// one leader, whose per-peer replication series name the two followers and
// reach its last index once a write is everywhere; followers have none.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { parsePrometheusText, seriesKey, type Scrape } from '../helpers/prometheus-text.js';
import { TestCluster } from './cluster-support.js';

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start(3, ['--http-port', '0']);
});

after(async () => {
  await cluster?.stop();
});

async function scrape(id: string): Promise<Scrape> {
  const m = /http=(\d+)/.exec(cluster.node(id).proc!.output());
  assert.ok(m, `node ${id} printed no HTTP port`);
  const res = await fetch(`http://127.0.0.1:${m[1]}/metrics`);
  assert.equal(res.status, 200);
  return parsePrometheusText(await res.text());
}

test('the leader reports each peer it replicates to; followers report none', async () => {
  const leader = await cluster.waitForLeader();
  const client = await cluster.client(cluster.node(leader));
  await client.command('SET', 'k', 'v');
  const followers = ['n1', 'n2', 'n3'].filter((id) => id !== leader);
  const match = (s: Scrape, peer: string): number | undefined =>
    s.samples.get(seriesKey('distdb_raft_peer_match_index', { peer }));

  // Followers acknowledge the write's entry within a heartbeat or two.
  let s = await scrape(leader);
  const commit = s.samples.get('distdb_raft_commit_index') as number;
  for (let i = 0; i < 100 && followers.some((f) => (match(s, f) ?? 0) < commit); i++) {
    await sleep(50);
    s = await scrape(leader);
  }
  assert.equal(s.samples.get(seriesKey('distdb_raft_role', { role: 'leader' })), 1);
  assert.equal(s.samples.get(seriesKey('distdb_raft_members', { kind: 'voter' })), 3);
  for (const f of followers) {
    assert.equal(match(s, f), commit, `match index of ${f}`);
    assert.equal(s.samples.get(seriesKey('distdb_raft_peer_lag_entries', { peer: f })), 0);
  }
  assert.equal(match(s, leader), undefined, 'the leader is not its own peer');
  assert.ok((s.samples.get('distdb_raft_proposals_total') ?? 0) >= 1);

  for (const f of followers) {
    const fs = await scrape(f);
    assert.equal(fs.samples.get(seriesKey('distdb_raft_role', { role: 'follower' })), 1);
    assert.equal(fs.samples.get(seriesKey('distdb_raft_role', { role: 'leader' })), 0);
    // At least the election that made the leader (a split vote may add one).
    assert.ok((fs.samples.get('distdb_raft_leader_changes_total') ?? 0) >= 1);
    assert.equal(fs.samples.get('distdb_raft_proposals_total'), 0);
    const peerSeries = [...fs.samples.keys()].filter((k) => k.startsWith('distdb_raft_peer_'));
    assert.deepEqual(peerSeries, [], `follower ${f} reports peer series`);
  }
});
