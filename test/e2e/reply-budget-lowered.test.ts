// Values stored before --max-value-size was lowered are larger than a read's
// reserve (reply-budget.ts counts each read in flight at --max-value-size),
// so a connection has more reads in flight than its replies can take. A
// client pipelining GETs of such values that never reads is still cut off
// within a memory bound: the reads it had in flight that were not yet sent
// to the storage engine are dropped with it, not fetched for nobody. Real
// processes: values written through a coordinator with the default limit,
// read through one restarted with a small one; memory is its peak RSS, what
// the engine sent is the bytes it wrote (/proc/<pid>/io). The dropped reads
// show in /metrics as cancelled, not as command errors: a client that is
// gone is not a command that failed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { GET_MANY_REPLY_BYTES } from '../../src/storage/protocol.js';
import { freePort } from '../helpers/processes.js';
import { parsePrometheusText, seriesKey } from '../helpers/prometheus-text.js';
import { startNode, RawConnection, text, type TestNode } from './coordinator-support.js';
import { LARGE_VALUE_BYTES, cutOffCount, waitForCutOff } from '../../src/hostile/attacks.js';
import { memoryOf, resetPeakMemory } from '../../src/hostile/process-memory.js';

const MiB = 1024 * 1024;
const OUTPUT_BUFFER = 4 * MiB;
/** Keys holding a large value each, written while the node took values that large. */
const KEYS = 8;
const GETS = 1024;

/**
 * The bound reply-budget.test.ts checks (docs/security.md), for values of
 * their real size, plus one getMany reply in flight (about 1 MiB of values
 * and one more: the rest of the reads is asked for only after it came).
 */
const GROWTH_BOUND =
  2 * 2 * (2 * OUTPUT_BUFFER + LARGE_VALUE_BYTES + GET_MANY_REPLY_BYTES + LARGE_VALUE_BYTES);

let node: TestNode;
let httpPort: number;

/** Cancelled reads and ERR replies so far, from the node's /metrics. */
async function readCounts(): Promise<{ cancelled: number; errors: number }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  const { samples } = parsePrometheusText(await res.text());
  return {
    cancelled: samples.get('distdb_reads_cancelled_total') ?? 0,
    errors: samples.get(seriesKey('distdb_command_errors_total', { kind: 'ERR' })) ?? NaN,
  };
}

/** The most a loopback connection's kernel buffers hold: the sender's and the receiver's maximum. */
function kernelSocketBufferBytes(): number {
  const max = (path: string): number => Number(readFileSync(path, 'utf8').trim().split(/\s+/)[2]);
  return max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
}

/**
 * What the storage engine may send for a client that reads nothing: the
 * replies the output limit and the kernel's socket buffers take, the
 * getMany reply in flight at the cut-off, and the watcher's one GET.
 */
const ENGINE_BOUND =
  OUTPUT_BUFFER + kernelSocketBufferBytes() + GET_MANY_REPLY_BYTES + 3 * LARGE_VALUE_BYTES;

/** Bytes the process has written to files and sockets (/proc/<pid>/io wchar). */
function bytesWritten(pid: number): number {
  return Number(/wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

/** CPU time the process has used, in clock ticks (/proc/<pid>/stat utime + stime). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Waits (up to 20 s) until the process used at most one tick of CPU in 250 ms. */
async function waitQuiet(pid: number): Promise<void> {
  for (let i = 0, last = cpuTicks(pid); i < 80; i++) {
    await sleep(250);
    const now = cpuTicks(pid);
    if (now - last <= 1) return;
    last = now;
  }
}

before(async () => {
  node = await startNode([]);
  const c = await RawConnection.open(node.port);
  try {
    for (let k = 0; k < KEYS; k++) {
      assert.equal(text(await c.command('SET', `big:${k}`, 'b'.repeat(LARGE_VALUE_BYTES))), 'OK');
    }
  } finally {
    c.close();
  }
  httpPort = await freePort();
  await node.restartCoordinator([
    '--max-value-size',
    '1kb',
    '--max-output-buffer',
    '4mb',
    '--http-port',
    String(httpPort),
  ]);
});

after(async () => {
  await node?.stop();
});

test(`a client pipelining ${GETS} GETs of values stored before --max-value-size was lowered, never reading, is cut off within the memory bound; its dropped reads are not command errors`, async (t) => {
  const watcher = await RawConnection.open(node.port);
  const c = await RawConnection.open(node.port);
  try {
    assert.match(text(await watcher.command('SET', 'big:new', 'b'.repeat(2048))), /larger than/);
    const pid = node.coordinator.pid;
    const { rssBytes } = memoryOf(pid);
    resetPeakMemory(pid);
    const engineWrote = bytesWritten(node.storage.pid);
    const countsBefore = await readCounts();
    const cutOffBefore = await cutOffCount(watcher);
    c.socket.pause(); // never reads
    c.write(
      Buffer.concat(
        Array.from({ length: GETS }, (_, i) => encodeCommand(['GET', `big:${i % KEYS}`])),
      ),
    );
    await waitForCutOff(watcher, cutOffBefore);
    assert.equal(await cutOffCount(watcher), cutOffBefore + 1, 'the client is disconnected');
    assert.equal(text(await watcher.command('GET', 'big:0')).length, LARGE_VALUE_BYTES);
    // What it had in flight (up to GETS values, 1 GB) comes in, if fetched,
    // while the coordinator is busy: measure once it is quiet.
    await waitQuiet(pid);
    const sent = bytesWritten(node.storage.pid) - engineWrote;
    const growth = memoryOf(pid).peakRssBytes - rssBytes;
    t.diagnostic(
      `storage engine sent ${(sent / MiB).toFixed(0)} MiB; coordinator RSS ${(rssBytes / MiB).toFixed(0)} MiB, grew by ${(growth / MiB).toFixed(0)} MiB`,
    );
    assert.ok(
      sent < ENGINE_BOUND,
      `the storage engine sent ${(sent / MiB).toFixed(0)} MiB for a client that read nothing, over ${(ENGINE_BOUND / MiB).toFixed(0)} MiB`,
    );
    assert.ok(
      growth < GROWTH_BOUND,
      `coordinator RSS grew by ${(growth / MiB).toFixed(0)} MiB, over ${(GROWTH_BOUND / MiB).toFixed(0)} MiB`,
    );
    const counts = await readCounts();
    t.diagnostic(`reads cancelled: ${counts.cancelled - countsBefore.cancelled}`);
    assert.ok(counts.cancelled > countsBefore.cancelled, 'the dropped reads count as cancelled');
    assert.equal(counts.errors, countsBefore.errors, 'and not as ERR replies');
  } finally {
    c.close();
    watcher.close();
  }
});
