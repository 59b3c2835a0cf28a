// Who may ask a node what over the peer transport: a node asks only whether
// it is itself a member (the M request), as the id its handshake gave (with
// TLS, the id its certificate names), so a stranger cannot probe who is a
// member; a member relays that question to its leader. The I answer has no
// id to ask about: it is the asked node's own address and entry room. A
// stranger here is a real peer transport of this process, in the cluster's
// cluster id, dialling the nodes' peer ports as a joining node does.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeRpc, RpcTag } from '../../src/coordinator/replication/peer-rpc.js';
import { startPeer, type TestPeer } from './peer-support.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

let cluster: TestCluster;
let stranger: TestPeer;
let leader: ClusterNodeProc;
let follower: ClusterNodeProc;

before(async () => {
  cluster = await TestCluster.start(3);
  leader = cluster.node(await cluster.waitForLeader());
  follower = cluster.nodes.find((n) => n !== leader)!;
  stranger = await startPeer('n9', { clusterId: 'distdb' });
});

after(async () => {
  await stranger?.transport.close();
  await cluster?.stop();
});

/**
 * `node`'s answer to `tag` with `body` from the stranger n9, or its error
 * message; asked again while the leader is not ready to answer (a conf change
 * of its own not yet in effect, just elected).
 */
async function ask(node: ClusterNodeProc, tag: number, body: object | null): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      const reply = await stranger.transport.requestAt(
        `127.0.0.1:${node.peerPort}`,
        encodeRpc(tag, body),
        5000,
      );
      return reply.toString('utf8');
    } catch (err) {
      const msg = (err as Error).message;
      if (!/REFUSED|NOTLEADER/.test(msg) || i >= 50) return msg;
      await sleep(200);
    }
  }
}

test('a stranger may ask whether it is itself a member, of the leader or through a follower', async () => {
  const own = JSON.stringify({ member: false, leader: leader.id });
  assert.equal(await ask(leader, RpcTag.member, { id: 'n9' }), own);
  assert.equal(await ask(follower, RpcTag.member, { id: 'n9' }), own);
});

test('a stranger may not ask whether another node is a member', async () => {
  const refusal = /INVALID node n9 may ask only whether it is itself a member, not node n2/;
  assert.match(await ask(leader, RpcTag.member, { id: 'n2' }), refusal);
  // A follower refuses it too, rather than relay it to the leader.
  assert.match(await ask(follower, RpcTag.member, { id: 'n2' }), refusal);
});

test("the I answer is the asked node's own address and room, whoever asks", async () => {
  const info = JSON.parse(await ask(follower, RpcTag.info, null)) as Record<string, unknown>;
  assert.equal(info['id'], follower.id);
  assert.equal(info['client'], `127.0.0.1:${follower.port}`);
  assert.equal(typeof info['room'], 'number');
});
