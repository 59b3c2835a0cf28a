// The partition helpers really cut traffic between the named test addresses,
// in both directions, for new and established connections, and nothing else;
// heal and clearRules put everything back.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import {
  activeCuts,
  CHAIN,
  clearRules,
  cut,
  heal,
  iptablesProblem,
  partition,
  resetFirewall,
} from './iptables.js';
import { lockNetwork } from './machine-lock.js';

const A = '127.0.0.11';
const B = '127.0.0.12';
const C = '127.0.0.13';
const problem = iptablesProblem();
const servers = new Map<string, { server: Server; port: number; sockets: Socket[] }>();

let unlock = (): void => undefined;

before(async () => {
  if (problem) return;
  unlock = await lockNetwork();
  resetFirewall();
  for (const host of [A, B, C]) {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.on('data', (d) => s.write(d)); // echo
    });
    server.listen(0, host);
    await once(server, 'listening');
    const addr = server.address();
    assert.ok(addr && typeof addr === 'object');
    servers.set(host, { server, port: addr.port, sockets });
  }
});

after(() => {
  if (problem) return;
  clearRules();
  unlock();
  for (const { server, sockets } of servers.values()) {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

/** Connects from `from` to the echo server on `to`: true if it connects within `ms`. */
function reaches(from: string, to: string, ms = 800): Promise<boolean> {
  const { port } = servers.get(to)!;
  return new Promise((ok) => {
    const s = connect({ host: to, port, localAddress: from });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      ok(v);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Sends a line over an open socket: true if the echo comes back within `ms`. */
function echoes(s: Socket, ms = 800): Promise<boolean> {
  return new Promise((ok) => {
    const onData = (): void => done(true);
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.off('data', onData);
      ok(v);
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', onData);
    s.write('ping\n');
  });
}

test('a cut stops new and established connections both ways; heal restores them', async (t) => {
  if (problem) return t.skip(problem);
  const open = connect({ host: B, port: servers.get(B)!.port, localAddress: A });
  open.on('error', () => undefined);
  await once(open, 'connect');
  assert.equal(await echoes(open), true);

  cut(A, B);
  assert.deepEqual(activeCuts().sort(), [`${A}>${B}`, `${B}>${A}`].sort());
  assert.equal(await reaches(A, B), false, 'A→B must be cut');
  assert.equal(await reaches(B, A), false, 'B→A must be cut');
  assert.equal(await echoes(open), false, 'an established connection must stall');
  // Only the named pair: A↔C, B↔C and the test's own address still work.
  assert.equal(await reaches(A, C), true);
  assert.equal(await reaches(C, B), true);
  assert.equal(await reaches('127.0.0.1', A), true);
  assert.equal(await reaches('127.0.0.1', B), true);

  heal();
  assert.deepEqual(activeCuts(), []);
  assert.equal(await reaches(A, B), true);
  assert.equal(await reaches(B, A), true);
  open.destroy();
});

test('partition isolates one side from the other, not within a side', async (t) => {
  if (problem) return t.skip(problem);
  partition([A], [B, C]);
  assert.equal(await reaches(A, B), false);
  assert.equal(await reaches(C, A), false);
  assert.equal(await reaches(B, C), true);
  heal();
  assert.equal(await reaches(A, C), true);
});

test('clearRules leaves no chain and no jumps behind; stale rules are cleared at start', (t) => {
  if (problem) return t.skip(problem);
  cut(A, C);
  clearRules();
  const rules = execFileSync('iptables', ['-S'], { encoding: 'utf8' });
  assert.doesNotMatch(rules, new RegExp(CHAIN));
  // A stale rule from a "crashed" run is gone once a test resets the firewall.
  execFileSync('iptables', ['-N', CHAIN]);
  execFileSync('iptables', ['-A', CHAIN, '-s', A, '-d', B, '-j', 'DROP']);
  execFileSync('iptables', ['-I', 'OUTPUT', '-j', CHAIN]);
  resetFirewall();
  assert.deepEqual(activeCuts(), []);
  const again = execFileSync('iptables', ['-S', 'OUTPUT'], { encoding: 'utf8' });
  assert.equal(again.split('\n').filter((l) => l.includes(CHAIN)).length, 1);
});

test('only test addresses may be named', (t) => {
  if (problem) return t.skip(problem);
  assert.throws(() => cut('127.0.0.1', A), /not a test address/);
  assert.throws(() => cut(A, '10.0.0.1'), /not a test address/);
});
