// A write is answered only once it is durable where Raft needs it: the
// answer must never come before the fsync it depends on. Only a crash at the
// right moment shows a write answered early, so these tests hold the
// engine's replies to Raft log appends (raft-append) in a proxy on the
// storage socket and check that no answer arrives meanwhile. Waiting a few
// hundred ms checks an order (nothing before the release), not a speed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '../../src/index.js';
import { Op } from '../../src/storage/protocol.js';
import { ProxiedCluster } from './proxied-cluster-support.js';

/** How long a held append must keep the write unanswered. */
const HOLD_MS = 400;

/** Sends SET key value; `answered()` says whether a reply (or error) came back yet. */
function setInFlight(c: Client, key: string, value: string) {
  let answered = false;
  const reply = c.command('SET', key, value).finally(() => {
    answered = true;
  });
  reply.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile
  return { reply, answered: () => answered };
}

test('a group of one answers a SET only once its own log append is durable', async () => {
  const cluster = await ProxiedCluster.start(1);
  try {
    const node = await cluster.waitForLeader();
    const c = await cluster.client(node);
    // The session's first write waits for the apply; later plain SETs are
    // answered at commit, the earliest answer the driver gives.
    assert.equal(String(await c.command('SET', 'warm', '0')), 'OK');

    node.proxy.hold(Op.raftAppend);
    const set = setInFlight(c, 'k', 'v');
    await node.proxy.waitHeld(Op.raftAppend);
    await sleep(HOLD_MS);
    assert.equal(set.answered(), false, 'SET answered while its log append was not yet durable');

    node.proxy.release(Op.raftAppend);
    assert.equal(String(await set.reply), 'OK');
    assert.equal(String(await c.get('k')), 'v');
  } finally {
    await cluster.stop();
  }
});

test('a write durable on only one node of three is not answered', async () => {
  const cluster = await ProxiedCluster.start(3);
  try {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const c = await cluster.client(leader);
    assert.equal(String(await c.command('SET', 'warm', '0')), 'OK');

    // The other follower writes it durably and acknowledges; the leader's
    // core counts its own in-memory append as a match, so the entry is
    // "committed" there on 2 of 3 while it is durable on 1 of 3.
    leader.proxy.hold(Op.raftAppend);
    follower.proxy.hold(Op.raftAppend);
    const set = setInFlight(c, 'k', 'v');
    await Promise.all([
      leader.proxy.waitHeld(Op.raftAppend),
      follower.proxy.waitHeld(Op.raftAppend),
    ]);
    await sleep(HOLD_MS);
    assert.equal(set.answered(), false, 'SET answered while durable on one node of three');

    leader.proxy.release(Op.raftAppend);
    follower.proxy.release(Op.raftAppend);
    assert.equal(String(await set.reply), 'OK');
    assert.equal(String(await c.get('k')), 'v');
  } finally {
    await cluster.stop();
  }
});
