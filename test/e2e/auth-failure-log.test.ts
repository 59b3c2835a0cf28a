// Refused logins on a real node show in its log: at warn, with the node, the
// component, the client's address and the user name, never the password; and
// a flood of guesses makes at most one line a second, the rest counted in the
// next line, so guessing cannot fill the disk.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { RawConnection, text } from './coordinator-support.js';

const PASSWORD = 'real-Pw-5e1d0b';
const GUESSES = 100;
const guess = (i: number): string => `guess-${i}-pw`;

const READY = /distdb node ready host=\S+ port=\d+ http=(\d+)/;
const dir = tempDir('distdb-authlog-');
let node: Proc;
let port = 0;
let httpPort = 0;

interface LogLine {
  level: number;
  node: string;
  component: string;
  msg: string;
  client: string;
  user: string;
  port: string;
  suppressed?: number;
}

/** The node's failed-AUTH lines so far. */
function failedAuthLines(): LogLine[] {
  return node
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg.startsWith('failed AUTH'));
}

/** Refused logins the lines account for: one each, or the count a summary line gives. */
const accounted = (lines: LogLine[]): number => lines.reduce((n, l) => n + (l.suppressed ?? 1), 0);

/** Waits until the log accounts for `n` refused logins. */
async function waitAccounted(n: number): Promise<LogLine[]> {
  for (let i = 0; i < 300; i++) {
    const lines = failedAuthLines();
    if (accounted(lines) >= n) return lines;
    await sleep(100);
  }
  throw new Error(
    `the log accounts for ${accounted(failedAuthLines())} of ${n} refused logins:\n${node.output()}`,
  );
}

before(async () => {
  port = await freePort();
  node = startDistdb(
    [
      'node',
      '--data-dir',
      join(dir.path, 'data'),
      '--port',
      String(port),
      '--http-port',
      '0',
      '--log-format',
      'json',
    ],
    { env: { NODE_PASSWORD: PASSWORD } },
  );
  httpPort = Number((await node.waitFor(READY))[1]);
});

after(async () => {
  await node?.stop();
  dir.remove();
});

test('a flood of wrong passwords: logged rate-limited with address and user, never the password', async () => {
  const c = await RawConnection.open(port);
  const started = Date.now();
  try {
    const flood = Array.from({ length: GUESSES }, (_, i) =>
      encodeCommand(i % 2 === 0 ? ['AUTH', 'mallory', guess(i)] : ['AUTH', guess(i)]),
    );
    c.write(Buffer.concat(flood));
    const replies = await c.read(GUESSES, 60_000);
    assert.equal(replies.length, GUESSES);
    for (const r of replies) assert.match(text(r), /^\(error\) WRONGPASS/);
    const lines = await waitAccounted(GUESSES);
    const elapsedS = (Date.now() - started) / 1000;

    assert.equal(accounted(lines), GUESSES);
    // One line a second at most (the first at once); without the limit, one per guess.
    assert.ok(lines.length <= Math.ceil(elapsedS) + 1, `${lines.length} lines in ${elapsedS} s`);
    const client = `127.0.0.1:${c.socket.localPort}`;
    for (const l of lines) {
      assert.equal(l.level, 40, 'warn');
      assert.equal(l.node, 'n1');
      assert.equal(l.component, 'auth');
      assert.equal(l.client, client);
      assert.equal(l.port, 'client');
      assert.ok(l.user === 'mallory' || l.user === 'default', l.user);
    }
    assert.equal(lines[0]?.user, 'mallory');
    assert.equal(lines[0]?.suppressed, undefined, 'the first failure is logged at once');
    for (let i = 0; i < GUESSES; i++) {
      assert.ok(!node.output().includes(guess(i)), `password ${guess(i)} in the log`);
    }
  } finally {
    c.close();
  }
});

test('HTTP Basic with a wrong password is logged too, with the user name only', async () => {
  const before = accounted(failedAuthLines());
  const res = await fetch(`http://127.0.0.1:${httpPort}/status`, {
    headers: { Authorization: `Basic ${Buffer.from('eve:http-guess-77').toString('base64')}` },
  });
  assert.equal(res.status, 401);
  await res.arrayBuffer();
  const lines = await waitAccounted(before + 1);
  assert.ok(
    lines.some((l) => l.user === 'eve' && l.port === 'http' && l.client.startsWith('127.0.0.1:')),
    JSON.stringify(lines),
  );
  assert.ok(!node.output().includes('http-guess-77'));
});
