// Snapshots are taken by bytes as well as by entries: with big values and a
// small --snapshot-bytes, every node snapshots (and compacts its log) long
// before the entry count (--snapshot-every, 100,000 by default) is reached.
// A bad --snapshot-bytes is refused with a message naming the flag.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { startDistdb, tempDir } from '../helpers/processes.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

async function snapshotsTaken(node: ClusterNodeProc): Promise<number> {
  const m = /http=(\d+)/.exec(node.proc!.output());
  assert.ok(m, `node ${node.id} printed no HTTP port`);
  const res = await fetch(`http://127.0.0.1:${m[1]}/metrics`);
  assert.equal(res.status, 200);
  return (
    parsePrometheusText(await res.text()).samples.get('distdb_raft_snapshots_taken_total') ?? 0
  );
}

test('a log of big values is snapshotted once it passes --snapshot-bytes', async () => {
  const cluster = await TestCluster.start(3, ['--snapshot-bytes', '256kb', '--http-port', '0']);
  try {
    const leader = cluster.node(await cluster.waitForLeader());
    const c = await cluster.client(leader);
    const value = 'x'.repeat(32 * 1024);
    // 40 entries of 32 KiB (1.25 MiB): about five times the byte limit.
    for (let i = 0; i < 40; i++) await c.put(`big-${i}`, value);
    for (const n of cluster.nodes) {
      let taken = 0;
      // Snapshots complete in the background: give them a moment.
      for (let i = 0; i < 100 && taken === 0; i++) {
        taken = await snapshotsTaken(n);
        if (taken === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(taken >= 1, `${n.id} took no snapshot after 1.25 MiB of entries`);
    }
    assert.equal((await c.get('big-39'))?.length, value.length);
  } finally {
    await cluster.stop();
  }
});

test('--snapshot-bytes must be a positive size', async () => {
  const dir = tempDir('distdb-snapbytes-');
  try {
    const p = startDistdb(['node', '--port', '0', '--data-dir', dir.path, '--snapshot-bytes', '0']);
    assert.notEqual(await p.exited, 0);
    assert.match(p.output(), /--snapshot-bytes \(RAFT_SNAPSHOT_BYTES\) is out of range: "0"/);
    const q = startDistdb(['node', '--port', '0', '--data-dir', dir.path], {
      env: { RAFT_SNAPSHOT_BYTES: 'lots' },
    });
    assert.notEqual(await q.exited, 0);
    assert.match(q.output(), /--snapshot-bytes \(RAFT_SNAPSHOT_BYTES\) must be a size such as/);
  } finally {
    dir.remove();
  }
});
