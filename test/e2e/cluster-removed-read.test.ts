// A linearizable read that reached a node before it learned of its own
// removal is answered "removed" once it learns, not after the request
// timeout: the leader that dropped the node answers none of its read
// indexes. The removed follower's engine holds its Raft log appends
// (test/helpers/storage-proxy.ts), so it has not applied its removal when
// the read arrives; the release lets it apply it. The nodes wait 60 s for
// the cluster (--request-timeout-ms), longer than the client waits for an
// answer: a read left waiting fails the test. (A restarted removed node
// replays its removal the same way, right after its Raft state is loaded.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Op } from '../../src/storage/protocol.js';
import { ProxiedCluster } from './proxied-cluster-support.js';

test('a read waiting on a node when it learns of its removal is answered "removed" at once', async () => {
  const cluster = await ProxiedCluster.start(3, ['--request-timeout-ms', '60000']);
  try {
    const leader = await cluster.waitForLeader();
    const gone = cluster.nodes.find((n) => n !== leader)!;
    const admin = await cluster.client(leader);
    const reader = await cluster.client(gone); // gives up after 15 s
    await admin.put('k', 'v');
    assert.equal(String(await reader.get('k')), 'v');

    gone.proxy.hold(Op.raftAppend);
    // Committed and applied by the leader and the other follower; not by `gone`,
    // whose write of the removal entry is held.
    assert.equal(await admin.command('CLUSTER', 'REMOVE', gone.id), 'OK');
    const read = reader.get('k');
    read.catch(() => undefined); // awaited below
    await gone.proxy.waitHeld(Op.raftAppend);
    await sleep(200); // time for the read to reach `gone` and ask for its read index
    gone.proxy.release(Op.raftAppend);
    await assert.rejects(read, new RegExp(`ERR node ${gone.id} was removed from the cluster`));
  } finally {
    await cluster.stop();
  }
});
