// A write whose result does not depend on the state (a plain SET, MSET) is
// answered once committed, before the leader's state machine applies it;
// every other write waits for the apply. Reads stay linearizable: a GET that
// starts after the SET's reply, on any connection of any node, sees it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start(3, ['--http-port', '0']);
});

after(async () => {
  await cluster?.stop();
});

async function answeredAtCommit(node: ClusterNodeProc): Promise<number> {
  const m = /http=(\d+)/.exec(node.proc!.output());
  assert.ok(m, `node ${node.id} printed no HTTP port`);
  const res = await fetch(`http://127.0.0.1:${m[1]}/metrics`);
  assert.equal(res.status, 200);
  const s = parsePrometheusText(await res.text());
  const v = s.samples.get('distdb_writes_answered_at_commit_total');
  assert.ok(v !== undefined, 'no distdb_writes_answered_at_commit_total series');
  return v;
}

test('a plain SET or MSET is answered at commit; writes that read the state are not', async () => {
  const leader = cluster.node(await cluster.waitForLeader());
  const c = await cluster.client(leader);
  // The session's first write: its seq is not yet known to be live, so it waits for the apply.
  await c.command('SET', 'w', '0');

  let before = await answeredAtCommit(leader);
  assert.equal((await c.command('SET', 'w', '1'))?.toString(), 'OK');
  assert.equal((await c.command('MSET', 'w', '2', 'x', '1'))?.toString(), 'OK');
  assert.equal((await c.command('PUT', 'w', '3'))?.toString(), 'OK');
  assert.equal(await answeredAtCommit(leader), before + 3, 'SET, MSET and PUT answered at commit');

  before = await answeredAtCommit(leader);
  assert.equal(await c.command('SET', 'w', 'nx', 'NX'), null);
  assert.equal((await c.command('SET', 'w', '4', 'XX'))?.toString(), 'OK');
  assert.equal((await c.command('SET', 'w', '5', 'GET'))?.toString(), '4');
  assert.equal(await c.command('DEL', 'x', 'nothing'), 1);
  assert.equal(await c.command('CAS', 'w', '5', '6'), 1);
  assert.equal(await answeredAtCommit(leader), before, 'writes that read the state wait for it');
  assert.equal((await c.get('w'))?.toString(), '6');
});

test('a GET that starts after a SET is answered sees it, on the leader and on a follower', async () => {
  const leader = cluster.node(await cluster.waitForLeader());
  const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
  const writer = await cluster.client(leader);
  const onLeader = await cluster.client(leader);
  const onFollower = await cluster.client(follower);
  const before = await answeredAtCommit(leader);
  const rounds = 300;
  for (let i = 0; i < rounds; i++) {
    const key = `raw-${i % 7}`;
    await writer.put(key, `v${i}`);
    const [l, f] = await Promise.all([onLeader.get(key), onFollower.get(key)]);
    assert.equal(l?.toString(), `v${i}`, `round ${i}: the leader's GET missed the SET`);
    assert.equal(f?.toString(), `v${i}`, `round ${i}: ${follower.id}'s GET missed the SET`);
  }
  // Most of those SETs were answered at commit (all but a session's first).
  assert.ok((await answeredAtCommit(leader)) - before >= rounds - 1);
});
