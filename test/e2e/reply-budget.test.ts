// A connection's reads in flight are bounded by the bytes of their replies
// (--max-output-buffer), not only by their count (--max-pipeline): a client
// pipelining GETs of large values that never reads is cut off holding a
// bounded amount of the coordinator's memory, and one that reads is served
// in full. Real processes, real sockets; memory is the coordinator's peak
// RSS from /proc.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { startNode, RawConnection, text, type TestNode } from './coordinator-support.js';
import {
  ATTACKS,
  LARGE_VALUE_BYTES,
  LARGE_VALUE_GETS,
  cutOffCount,
  waitForCutOff,
} from '../../src/hostile/attacks.js';
import { Bystander } from '../../src/hostile/bystander.js';
import { memoryOf, resetPeakMemory } from '../../src/hostile/process-memory.js';

const MiB = 1024 * 1024;
/** A small output limit, so what one connection may hold stands out from the process's own memory. */
const OUTPUT_BUFFER = 4 * MiB;
const VALUE_SIZE = MiB;

/**
 * What one connection may add to the coordinator's memory (docs/security.md):
 * replies not yet written up to the output limit plus the one that passes it,
 * and reads in flight counted at their largest reply (at most the output
 * limit together), each value held twice (the engine's reply and its RESP
 * encoding); and as much again for what was dropped and the garbage
 * collector has not freed yet.
 */
const GROWTH_BOUND = 2 * 2 * (2 * OUTPUT_BUFFER + VALUE_SIZE);

/** The coordinator's peak RSS since `resetPeakMemory` grew less than GROWTH_BOUND over `rssBytes`. */
function assertGrowthBounded(t: TestContext, pid: number, rssBytes: number): void {
  const growth = memoryOf(pid).peakRssBytes - rssBytes;
  t.diagnostic(
    `coordinator RSS ${(rssBytes / MiB).toFixed(0)} MiB, grew by ${(growth / MiB).toFixed(0)} MiB`,
  );
  assert.ok(
    growth < GROWTH_BOUND,
    `coordinator RSS grew by ${(growth / MiB).toFixed(0)} MiB, over ${GROWTH_BOUND / MiB} MiB`,
  );
}

let node: TestNode;
let bystander: Bystander;

before(async () => {
  node = await startNode([
    '--max-output-buffer',
    String(OUTPUT_BUFFER),
    '--max-value-size',
    String(VALUE_SIZE),
  ]);
  bystander = await Bystander.start(node.port);
});

after(async () => {
  await bystander?.stop().catch(() => undefined);
  await node?.stop();
});

test(`a client pipelining ${LARGE_VALUE_GETS} GETs of ${LARGE_VALUE_BYTES / 1000} kB that never reads is cut off, within a memory bound set by the output limit`, async (t) => {
  const attack = ATTACKS.find((a) => a.name === 'large-value-pipeline');
  assert.ok(attack);
  const pid = node.coordinator.pid;
  const { rssBytes } = memoryOf(pid);
  resetPeakMemory(pid);
  const outcome = await attack.run(node.port, () => bystander.served(20));
  assert.ok(outcome.closed, 'the client that does not read is disconnected');
  await bystander.served(5);
  assertGrowthBounded(t, pid, rssBytes);
});

/** The most a loopback connection's kernel buffers hold: the sender's and the receiver's maximum. */
function kernelSocketBufferBytes(): number {
  const max = (path: string): number => Number(readFileSync(path, 'utf8').trim().split(/\s+/)[2]);
  return max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
}

/**
 * How many SET … GET may run for a client that reads nothing: what fits
 * under the output limit, plus what the kernel's socket buffers take off the
 * coordinator's hands.
 */
const SET_GETS_ALLOWED = Math.ceil((OUTPUT_BUFFER + kernelSocketBufferBytes()) / VALUE_SIZE) + 1;
/** Keys holding a large value each: twice as many as may run. */
const OLD_VALUES = 2 * SET_GETS_ALLOWED;

test(`a client pipelining SET … GET over ${OLD_VALUES} keys of ${LARGE_VALUE_BYTES / 1000} kB that never reads is cut off, within the same bound`, async (t) => {
  const watcher = await RawConnection.open(node.port);
  const c = await RawConnection.open(node.port);
  try {
    const value = 'o'.repeat(LARGE_VALUE_BYTES);
    for (let k = 0; k < OLD_VALUES; k++) {
      assert.equal(text(await watcher.command('SET', `sg:${k}`, value)), 'OK');
    }
    const pid = node.coordinator.pid;
    const { rssBytes } = memoryOf(pid);
    resetPeakMemory(pid);
    const cutOffBefore = await cutOffCount(watcher);
    c.socket.pause(); // never reads
    // Each reply is the large value the SET replaced.
    c.write(
      Buffer.concat(
        Array.from({ length: OLD_VALUES }, (_, k) => encodeCommand(['SET', `sg:${k}`, 'n', 'GET'])),
      ),
    );
    await waitForCutOff(watcher, cutOffBefore);
    assert.equal(
      await cutOffCount(watcher),
      cutOffBefore + 1,
      'the client that does not read is disconnected',
    );
    await bystander.served(5);
    // Each SET run fetched a large value for a client that took none; none
    // runs after the cut-off.
    let run = 0;
    for (let k = 0; k < OLD_VALUES; k++) {
      if (text(await watcher.command('GET', `sg:${k}`)) === 'n') run++;
    }
    t.diagnostic(`${run} of the ${OLD_VALUES} SET … GET ran`);
    assert.ok(
      run <= SET_GETS_ALLOWED,
      `${run} SET … GET ran for a client that read nothing (at most ${SET_GETS_ALLOWED})`,
    );
    assertGrowthBounded(t, pid, rssBytes);
  } finally {
    c.close();
    watcher.close();
  }
});

test(`a client pipelining ${LARGE_VALUE_GETS} GETs of ${LARGE_VALUE_BYTES / 1000} kB that reads gets every reply, in order`, async () => {
  const keys = 8;
  // Each key's value is one repeated letter, so a reply shows which key it answers.
  const replies: Buffer[] = [];
  const setup = await RawConnection.open(node.port);
  for (let k = 0; k < keys; k++) {
    const value = String.fromCharCode(97 + k).repeat(LARGE_VALUE_BYTES);
    assert.equal(text(await setup.command('SET', `rb:${k}`, value)), 'OK');
    replies.push(Buffer.from(`$${LARGE_VALUE_BYTES}\r\n${value}\r\n`));
  }
  setup.close();
  // A reader as fast as it can be: it compares the bytes as they arrive with
  // the replies expected, in order, without parsing or keeping them.
  const socket = connect({ port: node.port, host: '127.0.0.1' });
  try {
    let reply = 0;
    let offset = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length && reply < LARGE_VALUE_GETS;) {
          const expected = replies[reply % keys] as Buffer;
          const n = Math.min(chunk.length - at, expected.length - offset);
          if (!chunk.subarray(at, at + n).equals(expected.subarray(offset, offset + n))) {
            reject(new Error(`reply ${reply} is not GET rb:${reply % keys}'s value`));
            return;
          }
          at += n;
          offset += n;
          if (offset === expected.length) [reply, offset] = [reply + 1, 0];
        }
        if (reply === LARGE_VALUE_GETS) resolve();
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`connection closed after ${reply} replies`)));
      socket.write(
        Buffer.concat(
          Array.from({ length: LARGE_VALUE_GETS }, (_, i) =>
            encodeCommand(['GET', `rb:${i % keys}`]),
          ),
        ),
      );
    });
  } finally {
    socket.destroy();
  }
});

test('EXISTS over keys whose values together pass the output limit answers their count', async () => {
  const keys = Math.ceil((2 * OUTPUT_BUFFER) / LARGE_VALUE_BYTES);
  const c = await RawConnection.open(node.port);
  try {
    for (let k = 0; k < keys; k++) {
      assert.equal(text(await c.command('SET', `ex:${k}`, 'e'.repeat(LARGE_VALUE_BYTES))), 'OK');
    }
    const names = Array.from({ length: keys }, (_, k) => `ex:${k}`);
    // Its reply is one integer: the values it reads are counted and dropped.
    assert.equal(text(await c.command('EXISTS', ...names, 'ex:absent', 'ex:0')), `${keys + 1}`);
  } finally {
    c.close();
  }
});
