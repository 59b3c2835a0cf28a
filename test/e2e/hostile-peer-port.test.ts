// The peer port of a real node (plain TCP, the default): malformed,
// truncated, oversized and replayed frames are refused without crashing the
// node or changing its data, and its clients keep being served. (Without
// TLS anyone may claim a member's id in its hello: see docs/security.md.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMessage } from '../../src/raft/codec.js';
import { makeMessage } from '../../src/raft/message.js';
import { encodeHello, encodeRaftBatch, encodeRequest, FrameKind } from '../../src/peer/frames.js';
import { encodePreamble } from '../../src/peer/handshake.js';
import type { Client } from '../../src/index.js';
import { TestCluster } from './cluster-support.js';

let cluster: TestCluster;
let client: Client;
let peerPort: number;

before(async () => {
  cluster = await TestCluster.start(2);
  const n1 = cluster.node('n1');
  peerPort = n1.peerPort;
  await cluster.waitForLeader();
  client = await cluster.client(n1);
  await cluster.waitForLeader();
  for (let i = 0; i < 10; i++) await client.command('SET', `intact:${i}`, `v${i}`);
});

after(async () => {
  await cluster?.stop();
});

/** Sends `bytes`, returns everything the node answered before it closed the connection. */
function exchange(bytes: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port: peerPort }, () => {
      for (const b of bytes) s.write(b);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => {
      s.destroy();
      reject(new Error('the peer port did not close the connection'));
    }, 10_000).unref();
  });
}

/** The reason of the refuse frame after the node's preamble. */
function refusal(reply: Buffer): string {
  assert.equal(reply.subarray(0, 4).toString('latin1'), 'DDBP');
  assert.equal(reply[10], FrameKind.refuse);
  return reply.subarray(11, 10 + reply.readUInt32BE(6)).toString('utf8');
}

async function assertIntact(tag: string): Promise<void> {
  assert.equal(cluster.node('n1').proc?.child.exitCode, null, `node alive after ${tag}`);
  for (let i = 0; i < 10; i++)
    assert.equal(String(await client.command('GET', `intact:${i}`)), `v${i}`);
  assert.equal(String(await client.command('SET', `after:${tag}`, tag)), 'OK');
}

const frame = (kind: number, body: Buffer): Buffer => {
  const b = Buffer.alloc(5 + body.length);
  b.writeUInt32BE(1 + body.length, 0);
  b[4] = kind;
  body.copy(b, 5);
  return b;
};

test('oversized, truncated and malformed frames before the handshake are refused', async () => {
  assert.match(
    refusal(await exchange([encodePreamble(), Buffer.from([0xff, 0xff, 0xff, 0xff])])),
    /protocol error: frame of 4294967295 bytes exceeds the limit/,
  );
  assert.match(
    refusal(await exchange([encodePreamble(), frame(FrameKind.raft, Buffer.alloc(8))])),
    /expected a hello frame first/,
  );
  assert.match(
    refusal(await exchange([encodePreamble(), frame(FrameKind.hello, Buffer.from([0, 200, 1]))])),
    /truncated hello frame/,
  );
  // A hello cut short, then silence: closed at the handshake deadline.
  await exchange([
    encodePreamble(),
    encodeHello({ clusterId: 'distdb', from: 'x', to: '' }).subarray(0, 9),
  ]);
  await assertIntact('handshake');
});

test('a process that is not a member cannot inject or replay raft messages', async () => {
  const before = await cluster.status(cluster.node('n1'));
  const hello = encodeHello({ clusterId: 'distdb', from: 'intruder', to: 'n1' });
  // A heartbeat with a huge term (which would make n1 step down), sent twice: from a non-member it is dropped.
  const heartbeat = encodeMessage(
    makeMessage({ type: 'heartbeat', to: 'n1', commit: 1e9 }, 'intruder', 0, 1_000_000),
  );
  const batch = encodeRaftBatch([heartbeat], 0, 1, heartbeat.length);
  const s = connect({ host: '127.0.0.1', port: peerPort });
  await new Promise((ok) => s.once('connect', ok));
  s.on('error', () => undefined);
  s.write(Buffer.concat([encodePreamble(), hello, batch, batch]));
  // The node says when it drops them: only then is "nothing changed" a result.
  await cluster
    .node('n1')
    .proc!.waitFor(/node intruder \(.*\) sends raft messages but is not in this node's peer list/);
  s.destroy();
  const status = await cluster.status(cluster.node('n1'));
  assert.equal(status.leader, before.leader, 'the leader did not change');
  assert.ok(status.term < 1_000_000, `term ${status.term} did not jump`);
  await assertIntact('injection');
});

/** Opens a connection and sends a hello from `from`; resolves once the node welcomed it. */
async function handshaken(from: string): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = connect({ host: '127.0.0.1', port: peerPort });
  const chunks: Buffer[] = [];
  const received = (): Buffer => Buffer.concat(chunks);
  socket.on('error', () => undefined);
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((ok) => socket.once('connect', ok));
  socket.write(
    Buffer.concat([encodePreamble(), encodeHello({ clusterId: 'distdb', from, to: 'n1' })]),
  );
  await until(() => received().length > 10 && received()[10] === FrameKind.welcome);
  return { socket, received };
}

/** Polls `cond` (a bound for a broken build, not a timing assertion). */
async function until(cond: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !cond(); await sleep(10)) {
    assert.ok(Date.now() < deadline, 'timed out');
  }
}

/** The frames in `bytes` after the node's preamble, as kind and body. */
function framesOf(bytes: Buffer): { kind: number; body: Buffer }[] {
  const frames = [];
  for (let at = 6; at + 5 <= bytes.length; at += 4 + bytes.readUInt32BE(at)) {
    frames.push({
      kind: bytes[at + 4] as number,
      body: bytes.subarray(at + 5, at + 4 + bytes.readUInt32BE(at)),
    });
  }
  return frames;
}

test('a stranger that says hello may send only small frames: what it can make the node hold is bounded', async () => {
  // Without the bound a stranger's 16 MiB frames were gathered, 128 connections at once.
  const { socket, received } = await handshaken('stranger');
  const closed = new Promise((ok) => socket.once('close', ok));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(16 * 1024 * 1024, 0);
  header[4] = FrameKind.request;
  socket.write(header);
  await closed;
  const refuse = framesOf(received()).find((f) => f.kind === FrameKind.refuse);
  assert.match(
    refuse?.body.toString('utf8') ?? 'no refusal',
    /protocol error: frame of 16777216 bytes exceeds the limit of 4096 bytes \(node stranger is not a member of the cluster as node n1 knows it, so only small requests such as a join are taken from it; add it \(distdb cluster add stranger <peer address>\) or start it with --join\)/,
  );
  await cluster
    .node('n1')
    .proc!.waitFor(
      /connection from node stranger .* closed: protocol error: frame of 16777216 bytes/,
    );
  await assertIntact('stranger');
});

test('one connection per node id: a second hello with the same id replaces the first', async () => {
  const first = await handshaken('visitor');
  const firstClosed = new Promise((ok) => first.socket.once('close', ok));
  const second = await handshaken('visitor');
  await firstClosed;
  const refuse = framesOf(first.received()).find((f) => f.kind === FrameKind.refuse);
  assert.equal(refuse?.body.toString('utf8'), 'replaced by a newer connection from node visitor');
  // The newer one is served: an info request (tag 'I') is answered.
  second.socket.write(encodeRequest(7, Buffer.from('I')));
  await until(() => framesOf(second.received()).some((f) => f.kind === FrameKind.response));
  const response = framesOf(second.received()).find((f) => f.kind === FrameKind.response)!;
  assert.equal(response.body.readUInt32BE(0), 7);
  assert.match(response.body.subarray(5).toString('utf8'), /"id":"n1"/);
  second.socket.destroy();
  await assertIntact('replaced');
});

test('a malformed raft batch from a member closes that connection only; the cluster carries on', async () => {
  // Claims to be n2 (the real n2 redials); its batch claims 2^32-1 messages in 5 bytes.
  const hello = encodeHello({ clusterId: 'distdb', from: 'n2', to: 'n1' });
  const lying = frame(FrameKind.raft, Buffer.from([0xff, 0xff, 0xff, 0xff, 7]));
  const reply = await exchange([encodePreamble(), hello, lying]);
  // After the preamble: the welcome, then the refusal.
  const kinds: number[] = [];
  let reason = '';
  for (let at = 6; at + 5 <= reply.length; at += 4 + reply.readUInt32BE(at)) {
    if (reply[at + 4] !== FrameKind.ping) kinds.push(reply[at + 4] as number);
    if (reply[at + 4] === FrameKind.refuse) {
      reason = reply.subarray(at + 5, at + 4 + reply.readUInt32BE(at)).toString('utf8');
    }
  }
  assert.deepEqual(kinds, [FrameKind.welcome, FrameKind.refuse]);
  assert.match(reason, /raft frame claims 4294967295 messages but has 5 bytes/);
  await cluster.waitForLeader();
  await assertIntact('malformed-batch');
});

test('random bytes after the preamble, many times over: refused each time', async () => {
  let seed = 99;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 16) & 0xff;
  };
  for (let round = 0; round < 20; round++) {
    const junk = Buffer.alloc(2048);
    for (let i = 0; i < junk.length; i++) junk[i] = random();
    junk.writeUInt32BE(1 + (round % 60), 0); // sometimes a frame-sized length, read as a frame
    refusal(await exchange([encodePreamble(), junk]));
  }
  await assertIntact('garbage');
});
