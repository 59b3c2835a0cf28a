// Protected mode on a real coordinator bound to 0.0.0.0: without a password
// it warns at start and serves only loopback clients; a client reaching it at
// this machine's own non-loopback address (the traffic never leaves the
// machine) is told why it is refused and how to fix it. A password, or
// --protected-mode no, lets that client in.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { connect } from '../../src/client/index.js';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { RawConnection, startNode, text, type TestNode } from './coordinator-support.js';

/** This machine's own non-loopback IPv4 address, if it has one. */
const ownAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
const skip = ownAddress === undefined ? 'this machine has no non-loopback IPv4 address' : false;

const nodes: TestNode[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function start(flags: string[]): Promise<TestNode> {
  const n = await startNode(['--host', '0.0.0.0', ...flags]);
  nodes.push(n);
  return n;
}

/** Sends PING from `host` and returns the first reply as text, and whether the server then closed. */
function pingFrom(host: string, port: number): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host, port }, () => sock.write('PING\r\n'));
    const parser = new ReplyParser();
    let reply: string | null = null;
    sock.on('data', (d: Buffer) => {
      parser.push(d);
      const v = parser.next();
      if (v !== null && reply === null) {
        reply = text(v);
        // A served client stays connected: wait a moment's round trip to see it does.
        if (!reply.includes('DENIED')) {
          sock.write('ECHO still-here\r\n');
        }
      } else if (v !== null) {
        sock.destroy();
        resolve({ reply: reply as string, closed: false });
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve({ reply: reply ?? '(no reply)', closed: true }));
  });
}

test(
  'no password on 0.0.0.0: a warning at start, loopback served, others refused with how to fix it',
  { skip },
  async () => {
    const n = await start([]);
    // (waitFor: the log may reach stderr after the ready line reached stdout.)
    await n.coordinator.waitFor(
      /protected mode: listening on a non-loopback address without a password/,
    );
    const local = await RawConnection.open(n.port);
    assert.equal(text(await local.command('PING')), 'PONG');
    local.close();
    // A client given a password for a node that needs none still connects, as redis-cli does.
    const lib = await connect({ port: n.port, password: 'unneeded' });
    assert.equal(await lib.ping(), 'PONG');
    await lib.close();
    const outside = await pingFrom(ownAddress as string, n.port);
    assert.equal(outside.closed, true);
    assert.match(outside.reply, /^\(error\) DENIED distdb is running in protected mode/);
    assert.match(outside.reply, /--requirepass \/ NODE_PASSWORD/);
    assert.match(outside.reply, /--users-file/);
    assert.match(outside.reply, /--protected-mode no \(NODE_PROTECTED_MODE=no\)/);
  },
);

test(
  'with a password, a client from another address may connect (and must authenticate)',
  { skip },
  async () => {
    const n = await start(['--requirepass', 'pm-secret', '--log-level', 'info']);
    // The warnings would come before this line.
    await n.coordinator.waitFor(/coordinator listening/);
    assert.doesNotMatch(n.coordinator.output(), /protected mode|anyone who can reach/);
    const outside = await pingFrom(ownAddress as string, n.port);
    assert.deepEqual(outside, { reply: 'PONG', closed: false });
  },
);

test(
  '--protected-mode no: others are served, with a warning that anyone may read and write',
  { skip },
  async () => {
    const n = await start(['--protected-mode', 'no']);
    await n.coordinator.waitFor(/anyone who can reach this port can read and write every key/);
    const outside = await pingFrom(ownAddress as string, n.port);
    assert.deepEqual(outside, { reply: 'PONG', closed: false });
  },
);
