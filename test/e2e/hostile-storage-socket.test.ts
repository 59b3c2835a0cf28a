// The storage socket of a running node: the coordinator refuses a socket it
// does not own, and what arrives on the socket from anyone else — malformed,
// truncated, oversized, replayed frames, garbage — is refused without
// crashing the engine or changing the node's data, while the node keeps
// serving its clients.
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeProposal } from '../../src/kv/codec.js';
import type { Proposal } from '../../src/kv/types.js';
import {
  FrameDecoder,
  FrameWriter,
  PayloadReader,
  type Frame,
} from '../../src/storage/frame-codec.js';
import { ErrorCode, HELLO_MAGIC, Op, PROTOCOL_VERSION } from '../../src/storage/protocol.js';
import { freePort, startDistdb, tempDir } from '../helpers/processes.js';
import { RawConnection, startNode, text, type TestNode } from './coordinator-support.js';

/** A Unix socket someone else might have put where the engine's should be, mode 0666; counts who connects. */
async function fakeSocket(path: string): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.destroy();
  });
  // Created world-writable, so a coordinator retrying meanwhile never sees it with a safe mode.
  const umask = process.umask(0o111);
  try {
    await new Promise<void>((ok) => server.listen(path, ok));
  } finally {
    process.umask(umask);
  }
  return { server, connections: () => n };
}

async function coordinatorRefuses(socket: string): Promise<string> {
  const dir = tempDir('distdb-sock-');
  try {
    const p = startDistdb([
      'coordinator',
      '--socket',
      socket,
      '--port',
      String(await freePort()),
      '--data-dir',
      join(dir.path, 'data'),
    ]);
    const code = await Promise.race([p.exited, sleep(15_000).then(() => 'still running')]);
    await p.stop();
    assert.equal(code, 2, `the coordinator refuses to start (exit 2), got ${code}:\n${p.output()}`);
    return p.output();
  } finally {
    dir.remove();
  }
}

test('the coordinator refuses a storage socket others may write to, or that another user owns', async () => {
  const dir = tempDir('distdb-sock-');
  const path = join(dir.path, 'storage.sock');
  const fake = await fakeSocket(path);
  try {
    assert.match(
      await coordinatorRefuses(path),
      new RegExp(
        `storage socket ${path} has mode 0666: other users may write to it\\. Run chmod 600 ${path}`,
      ),
    );
    chmodSync(path, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(path, 4242, 4242);
      assert.match(
        await coordinatorRefuses(path),
        new RegExp(`storage socket ${path} is owned by uid 4242, not by this coordinator's uid 0`),
      );
    }
    assert.equal(fake.connections(), 0, 'nothing was sent to the impostor');
  } finally {
    fake.server.close();
    dir.remove();
  }
});

// ----------------------------------------------------------- a live node

let node: TestNode;
let client: RawConnection;

before(async () => {
  node = await startNode();
  client = await RawConnection.open(node.port);
  for (let i = 0; i < 20; i++)
    assert.equal(text(await client.command('SET', `intact:${i}`, `v${i}`)), 'OK');
});

after(async () => {
  client?.close();
  await node?.stop();
});

/** The node serves, the engine is alive, and the data written before is unchanged. */
async function assertIntact(tag: string): Promise<void> {
  assert.equal(node.storage.child.exitCode, null, `storage engine alive after ${tag}`);
  assert.equal(node.coordinator.child.exitCode, null, `coordinator alive after ${tag}`);
  for (let i = 0; i < 20; i++)
    assert.equal(text(await client.command('GET', `intact:${i}`)), `v${i}`, tag);
  assert.equal(text(await client.command('SET', `after:${tag}`, tag)), 'OK');
  assert.equal(text(await client.command('GET', `after:${tag}`)), tag);
}

interface Raw {
  sock: Socket;
  closed: Promise<void>;
  isClosed(): boolean;
  next(timeoutMs?: number): Promise<Frame | null>;
}

function raw(path: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(1 << 24);
    let wake: (() => void) | null = null;
    let closed = false;
    sock.on('data', (c: Buffer) => {
      decoder.push(c, (f) => frames.push(f));
      wake?.();
    });
    sock.on('error', () => undefined);
    const closedP = new Promise<void>((ok) =>
      sock.on('close', () => {
        closed = true;
        wake?.();
        ok();
      }),
    );
    sock.once('connect', () =>
      resolve({
        sock,
        closed: closedP,
        isClosed: () => closed,
        async next(timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (frames.length === 0 && !closed && Date.now() < deadline) {
            await new Promise<void>((ok) => {
              wake = ok;
              setTimeout(ok, 50);
            });
          }
          return frames.shift() ?? null;
        },
      }),
    );
    sock.once('error', reject);
  });
}

const hello = (): Buffer =>
  new FrameWriter(0, Op.hello, 0).u32(HELLO_MAGIC).u16(PROTOCOL_VERSION).finish();

async function greeted(): Promise<Raw> {
  const r = await raw(node.socket);
  r.sock.write(hello());
  assert.equal((await r.next())?.op, Op.hello);
  return r;
}

function errorCode(f: Frame | null): number {
  assert.ok(f, 'a reply frame');
  assert.equal(f.op, Op.error);
  return new PayloadReader(f.payload).u16();
}

test('oversized, too-short and truncated frames: error frame and close, or just dropped', async () => {
  const big = await greeted();
  big.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  assert.equal(errorCode(await big.next()), ErrorCode.frameTooLarge);
  await big.closed;

  const short = await greeted();
  short.sock.write(Buffer.from([0, 0, 0, 3, 9, 9, 9]));
  assert.equal(errorCode(await short.next()), ErrorCode.badFrame);
  await short.closed;

  // Declares 1 MiB, sends 100 bytes, hangs up: the engine discards the partial frame.
  const cut = await greeted();
  cut.sock.end(Buffer.concat([Buffer.from([0, 0x10, 0, 0]), Buffer.alloc(100, 7)]));
  await cut.closed;

  // No hello: refused.
  const rude = await raw(node.socket);
  rude.sock.write(new FrameWriter(1, Op.get, 0).raw(Buffer.from('intact:1')).finish());
  assert.equal(errorCode(await rude.next()), ErrorCode.helloRequired);
  await rude.closed;
  await assertIntact('framing');
});

test('malformed payloads fail alone with badRequest or limit; the connection stays usable', async () => {
  const r = await greeted();
  try {
    const frames = [
      // apply claiming 2^32-1 proposals in a few bytes
      new FrameWriter(1, Op.apply, 0).u64(0).u32(0xffffffff).finish(),
      // apply whose proposal is garbage
      new FrameWriter(2, Op.apply, 0).u64(0).u32(1).bytes(Buffer.from('not a proposal')).finish(),
      // applied index beyond 2^53
      new FrameWriter(3, Op.apply, 0).u32(0x00ffffff).u32(0xffffffff).u32(0).finish(),
      // scan asking for 4 billion entries
      new FrameWriter(4, Op.scan, 0).u32(0xffffffff).raw(Buffer.from('a')).finish(),
      // a 10 kB key
      new FrameWriter(5, Op.get, 0).raw(Buffer.alloc(10_000, 0x6b)).finish(),
      // an unknown op, and a second hello
      new FrameWriter(6, 0x66, 0).finish(),
      hello(),
    ];
    r.sock.write(Buffer.concat(frames));
    const codes = new Map<number, number>();
    for (let i = 0; i < frames.length; i++) {
      const f = await r.next();
      assert.ok(f, `reply ${i}`);
      codes.set(f.requestId, errorCode(f));
    }
    assert.equal(codes.get(1), ErrorCode.badRequest);
    assert.equal(codes.get(2), ErrorCode.badRequest);
    assert.equal(codes.get(3), ErrorCode.badRequest);
    assert.equal(codes.get(4), ErrorCode.limit);
    assert.equal(codes.get(5), ErrorCode.limit);
    assert.equal(codes.get(6), ErrorCode.unknownOp);
    assert.equal(codes.get(0), ErrorCode.unknownOp);
    // Still usable: a well-formed read is answered.
    r.sock.write(new FrameWriter(8, Op.get, 0).raw(Buffer.from('intact:3')).finish());
    const f = await r.next();
    assert.equal(f?.op, Op.get);
    assert.equal(f?.payload.subarray(1).toString(), 'v3');
  } finally {
    r.sock.destroy();
  }
  await assertIntact('payloads');
});

test('a replayed write is not applied twice: its session answers it from the record', async () => {
  const r = await greeted();
  try {
    const p: Proposal = {
      session: { clientId: 'hostile-replay', seq: 1 },
      command: { op: 'put', key: Buffer.from('replayed'), value: Buffer.from('first') },
    };
    const frame = new FrameWriter(1, Op.apply, 0).u64(0).u32(1).bytes(encodeProposal(p)).finish();
    r.sock.write(frame);
    assert.equal((await r.next())?.op, Op.apply);
    assert.equal(text(await client.command('SET', 'replayed', 'second')), 'OK');
    r.sock.write(frame); // the same bytes again
    assert.equal((await r.next())?.op, Op.apply);
    assert.equal(text(await client.command('GET', 'replayed')), 'second');
  } finally {
    r.sock.destroy();
  }
  await assertIntact('replay');
});

test('random bytes after a hello, on many connections: the engine closes them and keeps serving', async () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 16) & 0xff;
  };
  for (let round = 0; round < 30; round++) {
    const r = await greeted();
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = random();
    // Keep the length prefix small enough to be read as a frame sometimes, huge other times.
    if (round % 2 === 0) junk.writeUInt32BE(9 + (round % 40), 0);
    r.sock.write(junk);
    await Promise.race([r.closed, sleep(300)]);
    r.sock.destroy();
  }
  await assertIntact('garbage');
});

test('a socket replaced while the engine is down is not used; the real engine is, once back', async () => {
  await node.storage.stop();
  const fake = await fakeSocket(node.socket);
  try {
    await node.coordinator.waitFor(/storage socket \S+ has mode 0666/, 15_000);
    assert.equal(fake.connections(), 0, 'the coordinator did not connect to the impostor');
    assert.match(text(await client.command('GET', 'intact:1')), /TRYAGAIN/);
  } finally {
    await new Promise<void>((ok) => fake.server.close(() => ok()));
    try {
      unlinkSync(node.socket);
    } catch {
      // closed servers remove their socket
    }
  }
  await node.restartStorage();
  for (let i = 0; i < 100; i++) {
    if (text(await client.command('GET', 'intact:1')) === 'v1') break;
    await sleep(100);
  }
  await assertIntact('replaced-socket');
});
