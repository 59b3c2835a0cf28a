// A full disk under a node: its data dir on a small tmpfs, which another
// file fills up, leaving a few MiB. Writes then fail with a retryable error
// and none is acknowledged without being durable; the engine's log (or an
// LMDB commit) fails, it says so and stops, and its supervisor restarts it;
// once space is freed the node serves again by itself with every
// acknowledged write there. Needs root (mount); skipped, saying why, where
// mounting is not allowed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawConnection, text } from '../../src/hostile/raw-connection.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';

const NODE_READY = /distdb node ready host=(\S+) port=(\d+)/;
const STOPS =
  'the storage engine stops, and a restart replays what is durable; if the disk is full, free space under ';
const LOG_FAILED = new RegExp(`the Raft write-ahead log failed \\(ENOSPC[^)]*\\): ${STOPS}`);
const COMMIT_FAILED = new RegExp(`an LMDB commit failed \\((EIO|ENOSPC): [^)]*\\): ${STOPS}`);
const RESTARTING_BECAUSE_LOG =
  /^\(error\) TRYAGAIN the storage engine of node n1 is restarting: the Raft write-ahead log failed \(ENOSPC[^)]*\); if its disk is full, free space under its data dir; /;
const VALUE_BYTES = 200_000;
/** What the filler leaves free: less than the room left in the log's 16 MiB segment. */
const LEFT_FREE = 3 * 1024 * 1024;

function mount(...args: string[]): { ok: boolean; why: string } {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  return { ok: r.status === 0, why: (r.stderr || r.error?.message || '').trim() };
}

/** Appends MiBs of zeros to `file` until at most `leftFree` bytes are free under `dir`. */
function fillUntil(file: string, dir: string, leftFree: number): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(dir);
      if (bavail * bsize <= leftFree) return;
      writeSync(fd, chunk, 0, Math.min(chunk.length, bavail * bsize - leftFree));
    }
  } finally {
    closeSync(fd);
  }
}

const probe = tempDir('distdb-disk-full-probe-');
const probeMount = mount('-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe.path);
if (probeMount.ok) spawnSync('umount', [probe.path]);
probe.remove();
const skip = probeMount.ok ? false : `cannot mount a tmpfs here (${probeMount.why}); run as root`;

interface FullDisk {
  c: RawConnection;
  node: Proc;
  /** The value every write sets. */
  value: string;
  /** Writes acknowledged so far (the first one's key is 'first'). */
  acked: string[];
  /** Fills the disk up to `leftFree` bytes free; `free()` removes the filler. */
  fill(leftFree: number): void;
  free(): void;
}

/**
 * A node whose data dir is on a 48 MiB tmpfs, after one acknowledged write:
 * the log's first segment (16 MiB, preallocated) is made at its first
 * write, so the disk fills up after it.
 */
async function withFullDisk(run: (d: FullDisk) => Promise<void>): Promise<void> {
  const dir = tempDir('distdb-disk-full-');
  assert.ok(mount('-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir.path).ok);
  let node: Proc | null = null;
  let c: RawConnection | null = null;
  try {
    const port = await freePort();
    node = startDistdb([
      'node',
      '--id',
      'n1',
      '--port',
      String(port),
      '--peer-port',
      String(await freePort()),
      '--data-dir',
      join(dir.path, 'n1'),
    ]);
    await node.waitFor(NODE_READY);
    c = await RawConnection.open(port);
    const value = 'v'.repeat(VALUE_BYTES);
    assert.equal(text(await c.command('SET', 'first', value)), 'OK');
    const filler = join(dir.path, 'filler');
    await run({
      c,
      node,
      value,
      acked: ['first'],
      fill: (leftFree) => fillUntil(filler, dir.path, leftFree),
      free: () => rmSync(filler),
    });
  } finally {
    c?.close();
    await node?.stop();
    spawnSync('umount', [dir.path]);
    dir.remove();
  }
}

/** Frees the disk, waits until a write is acknowledged again; the ms it took. */
async function servesAgain(d: FullDisk): Promise<number> {
  d.free();
  const freedAt = performance.now();
  for (;;) {
    const reply = text(await d.c.command('SET', 'after', 'space'));
    if (reply === 'OK') return Math.round(performance.now() - freedAt);
    assert.ok(performance.now() - freedAt < 60_000, `still refused 60 s after: ${reply}`);
    await sleep(200);
  }
}

async function assertAcked(d: FullDisk): Promise<void> {
  for (const key of d.acked) {
    const length = text(await d.c.command('STRLEN', key));
    assert.equal(length, String(VALUE_BYTES), `${key} was acknowledged`);
  }
}

test(
  'a full disk refuses writes retryably, loses nothing acknowledged, and the node serves again once space is freed',
  { skip },
  async (t) => {
    await withFullDisk(async (d) => {
      // The log fails when it needs its next segment.
      d.fill(LEFT_FREE);
      const refusals = new Set<string>();
      for (let i = 0; i < 1000 && refusals.size === 0; i++) {
        const reply = text(await d.c.command('SET', `k${i}`, d.value));
        if (reply === 'OK') d.acked.push(`k${i}`);
        else refusals.add(reply);
      }
      assert.ok(refusals.size > 0, `the disk never filled: ${d.acked.length} values written`);
      assert.ok(d.acked.length > 10, `only ${d.acked.length} writes before the disk was full`);
      for (const r of refusals) assert.match(r, /^\(error\) TRYAGAIN /, 'a refusal says to retry');
      await d.node.waitFor(LOG_FAILED, 30_000);
      // More while it is full: none acknowledged unless durable, and a
      // refusal while the engine restarts says why it stopped.
      let named = '';
      for (let i = 0; i < 20 && !named; i++) {
        const reply = text(await d.c.command('SET', `full${i}`, d.value));
        if (reply === 'OK') d.acked.push(`full${i}`);
        else if (RESTARTING_BECAUSE_LOG.test(reply)) named = reply;
      }
      assert.ok(named, 'a refusal says the engine stopped because its log failed');

      const after = await servesAgain(d);
      const stops = d.node.output().match(/the storage engine killed by SIGKILL/g)?.length ?? 0;
      t.diagnostic(
        `${d.acked.length} writes acknowledged before the disk was full; the engine stopped ${stops} times on its log's failure; serving again ${after} ms after space was freed`,
      );
      await assertAcked(d);
    });
  },
);

test(
  'a failed LMDB commit stops the engine with a sentence, and the node serves again once space is freed',
  { skip },
  async (t) => {
    await withFullDisk(async (d) => {
      // Less room than the writes below take in LMDB, but they fit in the
      // log's segment (and stay under half of it, where the next one would
      // be preallocated): the log keeps them, and the first LMDB commit of
      // them, within a second (APPLY_COMMIT_DELAY_MS), fails.
      d.fill(1024 * 1024);
      for (let i = 0; i < 20; i++) {
        const reply = text(await d.c.command('SET', `k${i}`, d.value));
        if (reply === 'OK') d.acked.push(`k${i}`);
        else assert.match(reply, /^\(error\) TRYAGAIN /, 'a refusal says to retry');
      }
      await d.node.waitFor(COMMIT_FAILED, 30_000);
      const output = d.node.output();
      assert.doesNotMatch(
        output,
        /Unhandled|Commit failed \(see commitError/,
        'no unhandled rejection ends the engine',
      );
      assert.doesNotMatch(output, LOG_FAILED, 'the log did not fail');

      const after = await servesAgain(d);
      const stops = d.node.output().match(new RegExp(COMMIT_FAILED, 'g'))?.length ?? 0;
      t.diagnostic(
        `${d.acked.length} writes acknowledged; the engine stopped ${stops} times on a failed LMDB commit; serving again ${after} ms after space was freed`,
      );
      await assertAcked(d);
    });
  },
);
