// The peer transport on real loopback sockets: raft messages both ways in
// batches, the request channel with errors and timeouts, a restarted peer
// reconnected to (at once when it dials us), and runtime membership changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeMessage } from '../../src/raft/codec.js';
import type { Message } from '../../src/raft/types.js';
import { PeerConfigError, PeerRequestError } from '../../src/peer/index.js';
import { freePort } from '../helpers/processes.js';
import { message, startCluster, startPeer, until, type TestPeer } from './peer-support.js';

const code = (c: string) => (e: unknown) => e instanceof PeerRequestError && e.code === c;

/** Peers a and b, each in the other's list, with a connected to b; both closed after `body`. */
async function withConnectedPair(body: (a: TestPeer, b: TestPeer) => Promise<void>): Promise<void> {
  const a = await startPeer('a');
  const b = await startPeer('b');
  try {
    a.transport.setPeers({ b: b.address });
    b.transport.setPeers({ a: a.address });
    await until('a connected to b', () => a.transport.stats().peers.b?.connected === true);
    await body(a, b);
  } finally {
    await Promise.all([a.transport.close(), b.transport.close()]);
  }
}

describe('peer transport between live nodes', () => {
  let n1: TestPeer, n2: TestPeer, n3: TestPeer;
  before(async () => {
    [n1, n2, n3] = (await startCluster(['n1', 'n2', 'n3'])) as [TestPeer, TestPeer, TestPeer];
  });
  after(async () => {
    await Promise.all([n1, n2, n3].map((n) => n?.transport.close()));
  });

  it('delivers messages both ways, intact, with their group ids', async () => {
    const out = [
      message('n1', 'n2', 10, 1),
      message('n1', 'n2', 11, 42),
      message('n1', 'n3', 12, 7),
    ];
    n1.transport.send(out);
    n2.transport.send([message('n2', 'n1', 20, 3)]);
    await until(
      'n2 and n3 got theirs',
      () => n2.received().length === 2 && n3.received().length === 1,
    );
    await until('n1 got its message', () => n1.received().length === 1);
    const bytes = (ms: typeof out) => ms.map((m) => Buffer.from(encodeMessage(m)).toString('hex'));
    assert.deepEqual(bytes(n2.received()), bytes(out.slice(0, 2)));
    assert.deepEqual(bytes(n3.received()), bytes(out.slice(2)));
    assert.deepEqual(
      n2.received().map((m) => m.group),
      [1, 42],
    );
    assert.equal(n1.received()[0]?.index, 20);
    assert.equal(n1.batches[0]?.from, 'n2');
  });

  it('gathers everything sent in one tick into one frame', async () => {
    const before = n2.batches.length;
    const framesBefore = n1.transport.stats().peers.n2?.framesSent ?? 0;
    for (let i = 0; i < 5; i++) {
      n1.transport.send(
        Array.from({ length: 40 }, (_, j) => message('n1', 'n2', 1000 + i * 40 + j)),
      );
    }
    await until('200 messages arrived', () => n2.received().length === 2 + 200);
    assert.equal(n2.batches.length - before, 1, 'five send() calls in one tick → one batch');
    const indexes = n2.batches.at(-1)?.messages.map((m) => m.index);
    assert.deepEqual(
      indexes,
      Array.from({ length: 200 }, (_, k) => 1000 + k),
      'in order',
    );
    const s = n1.transport.stats().peers.n2;
    assert.ok(s !== undefined);
    assert.ok(s.framesSent - framesBefore <= 2, 'one raft frame (plus maybe a ping)');
    assert.equal(s.messagesSent, 202);
    assert.equal(n2.transport.stats().peers.n1?.messagesReceived, 202);
    assert.equal(s.dropped, 0);
  });

  it('carries snapshot-sized messages across many TCP reads, waiting for the socket to drain', async () => {
    const before = n3.received().length;
    const big = Array.from({ length: 10 }, (_, i) => {
      const m = message('n1', 'n3', 5000 + i);
      m.entries[0]!.data = Buffer.alloc(2 * 1024 * 1024, i);
      return m;
    });
    n1.transport.send(big);
    await until('ten 2 MiB messages arrived', () => n3.received().length === before + 10);
    const got = n3.received().slice(before);
    assert.deepEqual(
      got.map((m) => m.index),
      big.map((m) => m.index),
    );
    for (const [i, m] of got.entries()) {
      const data = Buffer.from(m.entries[0]!.data);
      assert.ok(data.equals(Buffer.alloc(2 * 1024 * 1024, i)), `message ${i} intact`);
    }
    assert.ok(n3.batches.length >= 2, 'more than one 16 MiB frame was needed');
    assert.equal(n1.transport.stats().peers.n3?.queuedBytes, 0);
  });

  it('answers requests, reports handler errors, times out, knows its peers', async () => {
    assert.equal(
      (await n1.transport.request('n2', Buffer.from('get x'), 5000)).toString(),
      'n2:GET X',
    );
    assert.deepEqual(n2.requests.at(-1), { from: 'n1', payload: 'get x' });
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => n3.transport.request('n1', Buffer.from(`r${i}`), 5000)),
    );
    assert.deepEqual(
      many.map(String),
      Array.from({ length: 50 }, (_, i) => `n1:R${i}`),
      'replies matched to requests',
    );
    await assert.rejects(n1.transport.request('n3', Buffer.from('fail'), 5000), (e: unknown) => {
      return (
        code('remote')(e) &&
        /n3 .*answered with an error: the handler failed on purpose/.test((e as Error).message)
      );
    });
    await assert.rejects(n1.transport.request('n3', Buffer.from('hang'), 150), (e: unknown) => {
      return (
        code('timeout')(e) &&
        /no reply within 150 ms; it may or may not have been carried out/.test((e as Error).message)
      );
    });
    await assert.rejects(n1.transport.request('n9', Buffer.from('x'), 1000), code('unknown-peer'));
    await assert.rejects(n1.transport.request('n2', Buffer.from('x'), 0), RangeError);
    // The channel still works after the timeout and the error.
    assert.equal((await n1.transport.request('n3', Buffer.from('ok'), 5000)).toString(), 'n3:OK');
  });

  it('serves a request from a node that knows only an address (join)', async () => {
    const joiner = await startPeer('n4');
    try {
      const reply = await joiner.transport.requestAt(n2.address, Buffer.from('join me'), 5000);
      assert.equal(reply.toString(), 'n2:JOIN ME');
      assert.deepEqual(n2.requests.at(-1), { from: 'n4', payload: 'join me' });
      // Raft messages from a node not in the peer list are dropped, with one warning.
      joiner.transport.setPeers({ n2: n2.address });
      joiner.transport.send([message('n4', 'n2', 1)]);
      await n2.waitForLog(
        /node n4 .* sends raft messages but is not in this node's peer list; dropping them/,
      );
      assert.ok(n2.received().every((m) => m.from !== 'n4'));
      await assert.rejects(
        joiner.transport.requestAt('127.0.0.1:1', Buffer.from('x'), 5000),
        code('unreachable'),
      );
    } finally {
      await joiner.transport.close();
    }
  });
});

describe('nodes that are not members', () => {
  it('take only small frames until the peer list adds them, then full-size ones on the same connection', async () => {
    const a = await startPeer('a');
    const b = await startPeer('b', { peers: { a: a.address } });
    try {
      // a does not know b yet (b was just added, or a is still loading its state).
      assert.equal(
        (await b.transport.request('a', Buffer.from('small'), 5000)).toString(),
        'a:SMALL',
      );
      await assert.rejects(
        b.transport.request('a', Buffer.alloc(5000, 'x'), 5000),
        code('connection-lost'),
      );
      await a.waitForLog(
        /connection from node b .* closed: protocol error: frame of \d+ bytes exceeds the limit of 4096 bytes \(node b is not a member of the cluster as node a knows it, so only small requests such as a join are taken from it; add it \(distdb cluster add b <peer address>\) or start it with --join\)/,
      );
      await until('b redialled a', () => b.transport.stats().peers.a?.connected === true);
      const refused = a.transport.stats().refusedConnections;
      const connects = b.transport.stats().peers.a?.reconnects;

      a.transport.setPeers({ b: b.address });
      const big = Buffer.alloc(100_000, 'y');
      const reply = await b.transport.request('a', big, 5000);
      assert.equal(reply.length, 'a:'.length + big.length, 'a full-size request now gets through');
      b.transport.send([message('b', 'a', 1)]);
      await until("a takes b's raft messages", () => a.received().length === 1);
      assert.equal(a.transport.stats().refusedConnections, refused, 'no refusal after the add');
      assert.equal(b.transport.stats().peers.a?.reconnects, connects, 'the same connection');
    } finally {
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });
});

describe('starting a transport', () => {
  it('explains a port in use, bad limits and bad ids', async () => {
    const a = await startPeer('a');
    try {
      const port = a.transport.address.port;
      await assert.rejects(
        startPeer('b', { port }),
        (e: Error) =>
          e instanceof PeerConfigError &&
          new RegExp(
            `cannot listen for peers on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*choose another peer port`,
          ).test(e.message),
      );
      await assert.rejects(
        startPeer('b', { limits: { idleTimeoutMs: 10 } }),
        /idleTimeoutMs \(10\) must exceed heartbeatIntervalMs/,
      );
      await assert.rejects(startPeer(''), /the node id must be 1 to 255 bytes long/);
      await assert.rejects(
        startPeer('b', { peers: { c: 'c-without-port' } }),
        /bad address "c-without-port" for peer c/,
      );
    } finally {
      await a.transport.close();
    }
  });
});

describe('peer restarts and membership changes', () => {
  it('reconnects to a restarted peer and traffic resumes; drops meanwhile are reported', async () => {
    const [a, b] = (await startCluster(['a', 'b'])) as [TestPeer, TestPeer];
    let b2: TestPeer | null = null;
    try {
      const port = b.transport.address.port;
      await b.transport.close();
      await until('a sees b down', () => a.transport.stats().peers.b?.state === 'backoff');
      assert.ok(a.unreachable.includes('b'), 'the broken connection is reported');
      const reportsBefore = a.unreachable.length;
      // Dropped at once while a waits to redial, or when the redial fails.
      a.transport.send([message('a', 'b', 1)]);
      await until('the dropped message is reported', () => a.unreachable.length > reportsBefore);
      await assert.rejects(a.transport.request('b', Buffer.from('x'), 1000), code('unreachable'));
      await a.waitForLog(
        /WARN lost connection to peer b at 127\.0\.0\.1:\d+: .*redialling in \d+ ms/,
      );

      b2 = await startPeer('b', { port, peers: { a: a.address } });
      await until(
        'a reconnected to the new b',
        () => a.transport.stats().peers.b?.connected === true,
      );
      await a.waitForLog(/INFO connected to peer b at 127\.0\.0\.1:\d+ after \d+ failed attempts?/);
      a.transport.send([message('a', 'b', 2)]);
      await until('b got the message', () => b2!.received().length === 1);
      assert.equal(b2.received()[0]?.index, 2);
      assert.equal(
        (await a.transport.request('b', Buffer.from('back'), 5000)).toString(),
        'b:BACK',
      );
      const s = a.transport.stats().peers.b;
      assert.ok(s !== undefined && s.reconnects >= 1 && s.dropped >= 1, JSON.stringify(s));
    } finally {
      await Promise.all([a.transport.close(), b.transport.close(), b2?.transport.close()]);
    }
  });

  it('redials at once a peer that dials it, not after its backoff (a node added before it ran)', async () => {
    const port = await freePort();
    // A backoff far longer than the wait below: only the peer's own dial can connect a in time.
    const slow = { backoffInitialMs: 60_000, backoffMaxMs: 60_000 };
    const a = await startPeer('a', { peers: { b: `127.0.0.1:${port}` }, limits: slow });
    let b: TestPeer | null = null;
    try {
      await a.waitForLog(/WARN cannot connect to peer b at .*retrying in \d+ ms \(attempt 1\)/);
      b = await startPeer('b', { port, peers: { a: a.address } });
      await until('a connected to b', () => a.transport.stats().peers.b?.connected === true);
      a.transport.send([message('a', 'b', 7)]);
      await until('b got the message', () => b!.received().length === 1);
    } finally {
      await Promise.all([a.transport.close(), b?.transport.close()]);
    }
  });

  it('dials from its own listen address, so firewall rules naming a node cut all its traffic', async () => {
    const a = await startPeer('a', { host: '127.0.0.12' });
    const b = await startPeer('b', { host: '127.0.0.13', peers: { a: a.address } });
    try {
      a.transport.setPeers({ b: b.address });
      await a.waitForLog(/accepted peer connection from node b at 127\.0\.0\.13:\d+/);
      await b.waitForLog(/accepted peer connection from node a at 127\.0\.0\.12:\d+/);
    } finally {
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });

  it('sends a removed peer the raft messages queued for it before closing', async () => {
    // A leader queues its commit broadcast and, in the same turn, applies the
    // removal that drops the node from its peer list: that last message is
    // how the removed node learns its removal committed.
    await withConnectedPair(async (a, b) => {
      a.transport.send([message('a', 'b', 8)]);
      a.transport.setPeers({});
      await until('b got the message queued before its removal', () => b.received().length === 1);
      assert.equal(b.received()[0]?.index, 8);
    });
  });

  it("holds a lazy peer's appends until its wait ends, lets other messages pass, and sends them when lifted", async () => {
    const LAZY_MS = 400;
    await withConnectedPair(async (a, b) => {
      a.transport.setLazy(new Set(['b']), LAZY_MS);
      assert.equal(a.transport.stats().peers.b?.lazy, true);

      // Two appends leave together, once the wait is over.
      const sent = Date.now();
      a.transport.send([message('a', 'b', 1)]);
      a.transport.send([message('a', 'b', 2)]);
      await until('b got both appends', () => b.received().length === 2);
      assert.ok(Date.now() - sent >= LAZY_MS - 20, `arrived after ${Date.now() - sent} ms`);
      assert.deepEqual(
        b.received().map((m) => m.index),
        [1, 2],
      );

      // A heartbeat (a read round) does not wait, nor take the waiting append.
      a.transport.setLazy(new Set(['b']), 60_000);
      a.transport.send([message('a', 'b', 3)]);
      a.transport.send([{ ...message('a', 'b', 4), type: 'heartbeat', entries: [] }]);
      await until('b got the heartbeat', () => b.received().length === 3);
      assert.equal(a.transport.stats().peers.b?.queuedMessages, 1);

      // Lifting the wait sends what waits, in order.
      a.transport.send([message('a', 'b', 5)]);
      a.transport.setLazy(new Set(), LAZY_MS);
      assert.equal(a.transport.stats().peers.b?.lazy, false);
      await until('b got the appends that waited', () => b.received().length === 5);
      assert.deepEqual(
        b.received().map((m) => `${m.type} ${m.index}`),
        ['append 1', 'append 2', 'heartbeat 4', 'append 3', 'append 5'],
      );
    });
  });

  it('keeps appends in order when a wait ends while earlier appends wait for the socket to drain', async () => {
    await withConnectedPair(async (a, b) => {
      // Two 10 MiB appends, a frame each (maxFrameBytes 16 MiB): the flush writes
      // one, past writeBufferBytes (4 MiB), and the other waits for the socket's 'drain'.
      const big = (index: number): Message => {
        const m = message('a', 'b', index);
        return { ...m, entries: [{ ...m.entries[0]!, data: Buffer.alloc(10 << 20, index) }] };
      };
      a.transport.send([big(1), big(2)]);
      await new Promise((resolve) => setImmediate(resolve)); // the flush ran; no I/O since
      assert.equal(a.transport.stats().peers.b?.queuedMessages, 1, 'one append waits to drain');
      // Made lazy and lifted before the drain: the later append goes after the earlier.
      a.transport.setLazy(new Set(['b']), 60_000);
      a.transport.send([message('a', 'b', 3)]);
      a.transport.setLazy(new Set(), 60_000);
      await until('b got all three', () => b.received().length === 3);
      assert.deepEqual(
        b.received().map((m) => m.index),
        [1, 2, 3],
      );
    });
  });

  it('follows readdressed, added and removed peers', async () => {
    const a = await startPeer('a', { peers: { b: '127.0.0.1:1' } });
    const b = await startPeer('b');
    try {
      await a.waitForLog(
        /WARN cannot connect to peer b at 127\.0\.0\.1:1: .*ECONNREFUSED.*retrying in \d+ ms \(attempt 1\)/,
      );
      a.transport.setPeers({ a: a.address, b: b.address }); // its own entry is ignored
      b.transport.setPeers({ a: a.address });
      await until(
        'a connected to b at its real address',
        () => a.transport.stats().peers.b?.connected === true,
      );
      assert.deepEqual(Object.keys(a.transport.stats().peers), ['b']);
      a.transport.send([message('a', 'b', 5)]);
      await until('b got it', () => b.received().length === 1);

      b.transport.setPeers({});
      await until('a sees b gone', () => a.transport.stats().peers.b?.inbound === false);
      assert.deepEqual(b.transport.stats().peers, {});
      const before = a.unreachable.length;
      b.transport.send([message('b', 'a', 6)]);
      assert.equal(b.unreachable.at(-1), 'a', 'sending to a removed peer is reported');
      assert.ok(a.unreachable.length >= before);
      assert.throws(
        () => a.transport.setPeers({ b: 'nonsense' }),
        /bad address "nonsense" for peer b/,
      );
      assert.equal(a.transport.stats().peers.b?.address, b.address, 'a bad list changes nothing');
    } finally {
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });
});
