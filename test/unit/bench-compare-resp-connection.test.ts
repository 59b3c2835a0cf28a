import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { makeKeySpace } from '../../bench/compare/keyspace.js';
import { connectResp } from '../../bench/compare/resp-connection.js';
import { RespFrames } from '../../bench/compare/resp-frames.js';

// A loopback server that answers each request with the next scripted reply,
// written in the pieces the script gives, to see the driver reassemble them.
let server: Server;
let port = 0;
const scripts = new Map<string, Array<string[] | 'close'>>();
const frames = new RespFrames(makeKeySpace(10, 4));

before(async () => {
  server = createServer((sock: Socket) => {
    let script: Array<string[] | 'close'> | undefined;
    sock.on('data', async (d: Buffer) => {
      // The first request names the script: GET key:N uses script N.
      script ??= scripts.get(/key:(\d)/.exec(d.toString())![1]!);
      const next = script?.shift();
      if (next === 'close' || next === undefined) {
        sock.destroy();
        return;
      }
      for (const piece of next) {
        sock.write(piece);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

after(() => new Promise<void>((r) => server.close(() => r())));

test(
  'replies split across packets complete the request, one at a time',
  { timeout: 10_000 },
  async () => {
    scripts.set('1', [['$4\r\nab', 'cd\r', '\n'], ['+O', 'K\r\n'], ['$-1\r\n']]);
    const c = await connectResp('127.0.0.1', port, frames);
    await c.get(1);
    await c.put(1);
    await c.get(1);
    await c.close();
  },
);

test(
  'an error reply rejects that request with its text, and the next still works',
  { timeout: 10_000 },
  async () => {
    scripts.set('2', [['-TRYAGAIN no leader\r\n'], ['+OK\r\n']]);
    const c = await connectResp('127.0.0.1', port, frames);
    await assert.rejects(c.get(2), /^Error: TRYAGAIN no leader$/);
    await c.put(2);
    await c.close();
  },
);

test(
  'a dropped connection fails the request in flight and every later one',
  { timeout: 10_000 },
  async () => {
    scripts.set('3', ['close']);
    const c = await connectResp('127.0.0.1', port, frames);
    await assert.rejects(c.get(3), /closed the connection/);
    await assert.rejects(c.get(3), /closed the connection/);
    await c.close();
  },
);

test(
  'more reply than was asked for, or a second request in flight, is refused',
  { timeout: 10_000 },
  async () => {
    scripts.set('4', [['+OK\r\n+OK\r\n']]);
    const c = await connectResp('127.0.0.1', port, frames);
    await assert.rejects(c.get(4), /a reply came that no request asked for/);
    await c.close();
    scripts.set('5', [['+OK\r\n']]);
    const d = await connectResp('127.0.0.1', port, frames);
    const first = d.get(5);
    await assert.rejects(d.get(5), /one request at a time/);
    await first;
    await d.close();
  },
);
