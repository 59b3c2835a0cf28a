// A forwarded write whose proposal carries an op the leader does not know
// (a newer node's command, in a cluster being upgraded) is refused at once
// with INVALID, naming the operation and what to do, and nothing is applied:
// the asking node can answer its client now rather than retry until its
// request times out. The asking node here is a real peer transport of this
// process, a voter in the nodes' --peers (n3) that never answers Raft, so n1
// and n2 elect a leader between them and take its forwarded writes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeProposal } from '../../src/kv/codec.js';
import { encodeRpc, RpcTag } from '../../src/coordinator/replication/peer-rpc.js';
import { DEFAULT_REPLICATION } from '../../src/coordinator/replication/replication-settings.js';
import { startPeer, type TestPeer } from './peer-support.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

/** A write waits for the cluster this long (the default): the refusal must come well before it. */
const REQUEST_TIMEOUT_MS = DEFAULT_REPLICATION.requestTimeoutMs;
/** The next op number a newer distdb might take (codec ops end at 10). */
const NEWER_OP = 11;

let cluster: TestCluster;
let n3: TestPeer;
let leader: ClusterNodeProc;
let follower: ClusterNodeProc;

before(async () => {
  cluster = new TestCluster();
  n3 = await startPeer('n3', { clusterId: 'distdb' });
  const nodes = [await cluster.addNodeSpec('n1'), await cluster.addNodeSpec('n2')];
  const peers = [...nodes.map((x) => `${x.id}=127.0.0.1:${x.peerPort}`), `n3=${n3.address}`];
  await Promise.all(nodes.map((x) => cluster.run(x, ['--peers', peers.join(',')])));
  leader = cluster.node(await cluster.waitForLeader());
  follower = nodes.find((x) => x !== leader)!;
});

after(async () => {
  await n3?.transport.close();
  await cluster?.stop();
});

/** A GETDEL of `key` in a session, as a node forwards it, with its op byte set to `op`. */
function forwardedWrite(key: string, op: number): Uint8Array {
  const clientId = 'n3/test/1.1';
  const proposal = Buffer.from(
    encodeProposal({
      session: { clientId, seq: 1 },
      command: { op: 'getdel', key: Buffer.from(key) },
    }),
  );
  // version, flags, clientId length and bytes, seq: then the op.
  const at = 2 + 2 + Buffer.byteLength(clientId) + 8;
  assert.equal(proposal[at], 9, 'the op byte of a getdel');
  proposal[at] = op;
  return encodeRpc(RpcTag.write, proposal);
}

/** n3's forwarded write to `node`: the answer's error message and how long it took. */
async function forward(
  node: ClusterNodeProc,
  payload: Uint8Array,
): Promise<{ error: string; ms: number }> {
  for (let i = 0; ; i++) {
    const t0 = Date.now();
    try {
      const reply = await n3.transport.requestAt(`127.0.0.1:${node.peerPort}`, payload, 60_000);
      return { error: `answered ${reply.toString('hex')}`, ms: Date.now() - t0 };
    } catch (err) {
      const error = (err as Error).message;
      // Just elected, or its own noop not yet committed: asked again.
      if (/REFUSED/.test(error) && i < 50) {
        await sleep(200);
        continue;
      }
      return { error, ms: Date.now() - t0 };
    }
  }
}

test('a leader refuses a forwarded write with an op it does not know at once, and applies nothing', async () => {
  const c = await cluster.client(leader);
  assert.equal(await c.command('SET', 'k', 'v'), 'OK');

  const { error, ms } = await forward(leader, forwardedWrite('k', NEWER_OP));
  assert.match(
    error,
    new RegExp(
      `INVALID ERR node ${leader.id}, the leader, does not know the operation of this write \\(op ${NEWER_OP}\\), forwarded by node n3: ${leader.id} likely runs an older distdb version; upgrade it$`,
    ),
  );
  assert.ok(ms < REQUEST_TIMEOUT_MS / 2, `answered after ${ms} ms`);

  // Nothing was applied, on either node, and both keep serving writes.
  for (const n of [leader, follower]) {
    const r = await cluster.client(n);
    assert.equal(String(await r.get('k')), 'v', `node ${n.id}`);
    assert.equal(await r.command('INCR', `after-${n.id}`), 1, `node ${n.id} serves writes`);
  }
  assert.doesNotMatch(leader.proc!.output(), /unknown command op/, 'the leader proposed it');
});

test('a follower answers the same forwarded write NOTLEADER, naming the leader', async () => {
  const { error } = await forward(follower, forwardedWrite('k', NEWER_OP));
  assert.match(error, new RegExp(`NOTLEADER ${leader.id}$`));
});
