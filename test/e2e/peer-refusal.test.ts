// What the peer port does with the wrong callers: another cluster, the
// wrong node, HTTP and RESP clients, garbage, silence, too many
// connections; and what a sender does when a queue is full. Every refusal
// is logged with what to check, and the real peers keep being served.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  encodeHello,
  encodePing,
  encodeRequest,
  encodeWelcome,
  FrameKind,
} from '../../src/peer/frames.js';
import { encodePreamble } from '../../src/peer/handshake.js';
import {
  allConnected,
  message,
  startCluster,
  startPeer,
  until,
  type TestPeer,
} from './peer-support.js';

const fast = { connectTimeoutMs: 300, heartbeatIntervalMs: 100, idleTimeoutMs: 400 };

/** Writes `bytes` to the port (then ends our side unless `keepOpen`) and collects everything until the server closes. */
function exchange(
  port: number,
  bytes: Buffer[],
  opts: { keepOpen?: boolean } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port }, () => {
      for (const b of bytes) s.write(b);
      if (!opts.keepOpen) s.end();
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {}); // a reset after a refusal is fine; 'close' follows
    s.on('close', () => resolve(Buffer.concat(chunks)));
    // A bound for a server that never closes; generous, as 67 of these run at once.
    setTimeout(() => {
      s.destroy();
      reject(new Error('the peer port did not close the connection'));
    }, 20_000).unref();
  });
}

/** The reason in a refusal reply (preamble, then a refuse frame). */
function refusal(reply: Buffer): string {
  assert.equal(
    reply.subarray(0, 4).toString('latin1'),
    'DDBP',
    'the reply starts with the preamble',
  );
  assert.equal(reply[10], FrameKind.refuse);
  return reply.subarray(11, 10 + reply.readUInt32BE(6)).toString('utf8');
}

describe('the peer port refuses wrong callers and keeps serving', () => {
  let n1: TestPeer, n2: TestPeer;
  before(async () => {
    [n1, n2] = (await startCluster(['n1', 'n2'], fast)) as [TestPeer, TestPeer];
  });
  after(async () => {
    await Promise.all([n1?.transport.close(), n2?.transport.close()]);
  });

  /**
   * n1 and n2 still exchange messages both ways. A message sent while a
   * connection is being redialled is dropped (raft resends), so this sends
   * again until one arrives each way.
   */
  async function stillServing(): Promise<void> {
    const got1 = n1.received().length;
    const got2 = n2.received().length;
    let sent = 0;
    await until('messages flow again', () => {
      if (sent++ % 20 === 0) {
        n1.transport.send([message('n1', 'n2', 1)]);
        n2.transport.send([message('n2', 'n1', 1)]);
      }
      return n1.received().length > got1 && n2.received().length > got2;
    });
  }

  it('refuses a node of another cluster, and both sides log what to check', async () => {
    const stranger = await startPeer('n3', {
      clusterId: 'other-cluster',
      peers: { n1: n1.address },
      limits: fast,
    });
    try {
      const line = await n1.waitForLog(
        /refused peer connection from 127\.0\.0\.1:\d+: cluster id mismatch/,
      );
      assert.match(
        line,
        /the dialling node "n3" is in cluster "other-cluster" but node "n1" is in cluster "test-cluster"; check --cluster-id on both/,
      );
      await stranger.waitForLog(
        /WARN cannot connect to peer n1 at 127\.0\.0\.1:\d+: it refused the connection: cluster id mismatch.*check --cluster-id/,
      );
      assert.equal(stranger.transport.stats().peers.n1?.connected, false);
      assert.ok(n1.transport.stats().refusedConnections >= 1);
    } finally {
      await stranger.transport.close();
    }
    await stillServing();
  });

  it('refuses a dialler that expects another node at this address', async () => {
    const confused = await startPeer('n3', { peers: { n7: n1.address }, limits: fast });
    try {
      await n1.waitForLog(
        /refused peer connection .*wrong node: the dialling node "n3" expected node "n7" at this address, but this is node "n1"; check the address given for "n7" in --peers/,
      );
      await confused.waitForLog(/cannot connect to peer n7 .*refused the connection: wrong node/);
    } finally {
      await confused.transport.close();
    }
  });

  it('answers an HTTP or RESP client with a reason and closes', async () => {
    const port = n1.transport.address.port;
    const http = refusal(
      await exchange(port, [Buffer.from('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')]),
    );
    assert.match(
      http,
      /^not the distdb peer protocol: the first bytes are an HTTP message \("GET \/m"\); is a client pointed at the peer port/,
    );
    await n1.waitForLog(
      /WARN refused peer connection from 127\.0\.0\.1:\d+: not the distdb peer protocol: the first bytes are an HTTP message/,
    );
    const resp = refusal(await exchange(port, [Buffer.from('*1\r\n$4\r\nPING\r\n')]));
    assert.match(resp, /a RESP or text command, as redis-cli or nc send/);
    await stillServing();
  });

  it('closes connections that send garbage, at any stage, without crashing', async () => {
    const port = n1.transport.address.port;
    const preamble = encodePreamble();
    const hello = encodeHello({ clusterId: 'test-cluster', from: 'n9', to: 'n1' });
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff, FrameKind.raft]);
    const badRaft = Buffer.from([0, 0, 0, 9, FrameKind.raft, 0, 0, 0, 1, 0, 0, 0, 1]);
    const cases: Buffer[][] = [
      [preamble, huge], // an oversized frame before the handshake
      [preamble, encodePing()], // anything but a hello first
      [preamble, Buffer.from([0, 0, 0, 3, FrameKind.hello, 0, 9])], // a truncated hello
      [preamble, hello, huge], // an oversized length after the handshake
      [preamble, hello, badRaft], // a raft frame that does not decode
      [preamble, hello, Buffer.from([0, 0, 0, 1, 99])], // an unknown frame kind
      [preamble, hello, encodeRequest(1, Buffer.from('x')).subarray(0, 7)], // cut off mid-frame
      ...fc
        .sample(fc.uint8Array({ minLength: 1, maxLength: 64 }), { numRuns: 30, seed: 7 })
        .map((b) => [Buffer.from(b)]),
      ...fc
        .sample(fc.uint8Array({ minLength: 1, maxLength: 64 }), { numRuns: 30, seed: 8 })
        .map((b) => [preamble, hello, Buffer.from(b)]),
    ];
    await Promise.all(cases.map((c) => exchange(port, c)));
    await n1.waitForLog(
      /frame of 2147483647 bytes exceeds the limit of 4096 bytes \(maxFrameBytes\)/,
    );
    await n1.waitForLog(
      /connection from node n9 .* closed: protocol error: frame of 2147483647 bytes exceeds the limit of 4096 bytes \(node n9 is not a member/,
    );
    await n1.waitForLog(/protocol error: expected a hello frame first, got kind 7/);
    await n1.waitForLog(/protocol error: unexpected frame kind 99 from the dialling side/);
    await stillServing();
  });

  it('closes a connection that says nothing, and one that falls silent after its handshake', async () => {
    const port = n1.transport.address.port;
    await exchange(port, [], { keepOpen: true });
    await n1.waitForLog(
      /closed before its handshake: no handshake within 300 ms \(connectTimeoutMs\)/,
    );
    const hello = encodeHello({ clusterId: 'test-cluster', from: 'n8', to: 'n1' });
    const reply = await exchange(port, [encodePreamble(), hello], { keepOpen: true });
    assert.equal(reply[10], FrameKind.welcome, 'the handshake succeeded first');
    await n1.waitForLog(
      /connection from node n8 .* closed: nothing received for 400 ms \(idleTimeoutMs\); the peer may be paused or cut off/,
    );
    await stillServing();
  });

  it('keeps its healthy peers through a stall of its own event loop longer than idleTimeoutMs', async () => {
    // Both nodes live in this process: when it stalls (a loaded machine, a
    // long GC), each side's timers fire before the other's pings are read.
    const seen = [n1.logs.length, n2.logs.length] as const;
    const stallUntil = Date.now() + 3 * fast.idleTimeoutMs;
    while (Date.now() < stallUntil); // the stall: nothing runs
    await new Promise((r) => setTimeout(r, 3 * fast.heartbeatIntervalMs));
    const cut = [...n1.logs.slice(seen[0]), ...n2.logs.slice(seen[1])].filter((l) =>
      /nothing received/.test(l),
    );
    assert.deepEqual(cut, [], 'no healthy connection was closed for the stall');
    assert.ok(allConnected(n1) && allConnected(n2));
    await stillServing();
  });

  it('takes a handshake that arrived during a stall of its own longer than connectTimeoutMs', async () => {
    const s = connect({ host: '127.0.0.1', port: n1.transport.address.port });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    try {
      await new Promise((r) => s.once('connect', r));
      await new Promise((r) => setTimeout(r, 100)); // n1 accepted it: its deadline runs
      s.write(encodePreamble());
      s.write(encodeHello({ clusterId: 'test-cluster', from: 'n8', to: 'n1' }));
      const stallUntil = Date.now() + 3 * fast.connectTimeoutMs;
      while (Date.now() < stallUntil); // the stall: the hello arrives, unread
      await until('n1 answers or closes', () => Buffer.concat(chunks).length > 10 || s.closed);
      assert.equal(Buffer.concat(chunks)[10], FrameKind.welcome, 'the handshake succeeded');
    } finally {
      s.destroy();
    }
  });

  it('redials a peer that stops answering after its welcome (paused)', async () => {
    // A listener that completes the handshake and then never sends another byte.
    const sockets = new Set<Socket>();
    const paused = createServer((s) => {
      sockets.add(s);
      s.once('data', () => s.write(Buffer.concat([encodePreamble(), encodeWelcome('n7')])));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => paused.listen(0, '127.0.0.1', r));
    const port = (paused.address() as { port: number }).port;
    const dialler = await startPeer('n6', { peers: { n7: `127.0.0.1:${port}` }, limits: fast });
    try {
      await dialler.waitForLog(/INFO connected to peer n7/);
      await dialler.waitForLog(
        /WARN lost connection to peer n7 at 127\.0\.0\.1:\d+: nothing received for 400 ms \(idleTimeoutMs\); the peer may be paused or cut off; redialling/,
      );
      await until('redialled', () => (dialler.transport.stats().peers.n7?.reconnects ?? 0) >= 1);
      assert.ok(dialler.unreachable.includes('n7'), 'the broken connection is reported');
    } finally {
      await dialler.transport.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => paused.close(r));
    }
  });

  it('refuses connections beyond maxInboundConnections', async () => {
    const lonely = await startPeer('n5', { limits: { ...fast, maxInboundConnections: 1 } });
    const first = connect({ host: '127.0.0.1', port: lonely.transport.address.port });
    try {
      await new Promise((r) => first.once('connect', r));
      const reason = refusal(await exchange(lonely.transport.address.port, [Buffer.from('x')]));
      assert.match(reason, /node n5 already has 1 peer connections \(maxInboundConnections\)/);
    } finally {
      first.destroy();
      await lonely.transport.close();
    }
  });

  it('tells the operator when a peer address is some other service', async () => {
    const redisLike = createServer((s) => {
      s.on('data', () => s.end('-ERR unknown command\r\n'));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => redisLike.listen(0, '127.0.0.1', r));
    const port = (redisLike.address() as { port: number }).port;
    const dialler = await startPeer('n6', { peers: { n1: `127.0.0.1:${port}` }, limits: fast });
    try {
      await dialler.waitForLog(
        /WARN cannot connect to peer n1 at 127\.0\.0\.1:\d+: it answered, but not the distdb peer protocol: the first bytes are a RESP or text command.*"-ERR u"/,
      );
    } finally {
      await dialler.transport.close();
      await new Promise((r) => redisLike.close(r));
    }
  });
});

describe('full queues', () => {
  it('drops what does not fit and reports the peer unreachable', async () => {
    const [a, b] = (await startCluster(['a', 'b'], { maxQueueMessages: 10 })) as [
      TestPeer,
      TestPeer,
    ];
    try {
      a.transport.send(Array.from({ length: 50 }, (_, i) => message('a', 'b', i)));
      assert.deepEqual(a.unreachable, ['b'], 'one report per send() call');
      await a.waitForLog(
        /WARN queue to peer b at .* is full \(10 messages, \d+ bytes; maxQueueMessages \/ maxQueueBytes\): dropping raft messages until it drains/,
      );
      await until('the queued ten arrived', () => b.received().length === 10);
      assert.deepEqual(
        b.received().map((m) => m.index),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      const s = a.transport.stats().peers.b;
      assert.equal(s?.dropped, 40);
      assert.equal(s?.queuedMessages, 0);
      // Drained: the next ones go through and nothing is reported.
      a.transport.send(Array.from({ length: 10 }, (_, i) => message('a', 'b', 100 + i)));
      await until('the next ten arrived', () => b.received().length === 20);
      assert.equal(a.unreachable.length, 1);
    } finally {
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });

  it('bounds queued bytes too, and refuses a message larger than a frame', async () => {
    const [a, b] = (await startCluster(['a', 'b'], {
      maxQueueBytes: 1000,
      maxFrameBytes: 4096,
    })) as [TestPeer, TestPeer];
    try {
      const big = message('a', 'b', 1);
      big.entries[0]!.data = Buffer.alloc(600);
      a.transport.send([big, { ...big, index: 2 }]);
      assert.deepEqual(a.unreachable, ['b']);
      await until('the first arrived', () => b.received().length === 1);
      const huge = {
        ...big,
        index: 3,
        entries: [{ ...big.entries[0]!, data: Buffer.alloc(5000) }],
      };
      a.transport.send([huge]);
      await a.waitForLog(
        /dropped a raft message of \d+ bytes to peer b .* exceeds maxFrameBytes \(4096\); keep raft's maxSizePerMsg and snapshotChunkSize below it/,
      );
      assert.equal(a.transport.stats().peers.b?.dropped, 2);
      await assert.rejects(
        a.transport.request('b', Buffer.alloc(5000), 1000),
        /payload bytes exceed maxFrameBytes/,
      );
    } finally {
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });
});
