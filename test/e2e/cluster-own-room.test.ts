// A node whose own storage engine restarts with another frame
// (STORAGE_MAX_FRAME_SIZE) takes the new entry room into its limit on
// proposals as soon as it serves again: the reload of its Raft state on the
// engine's return sets the limit afresh. In a cluster of one nothing else
// would (no member answers an I request), so a stale limit would show here
// for as long as the node runs. The engine runs as a process of its own
// (`distdb storage`, killed and restarted by PID with another frame) under
// the node's coordinator (node-coordinator-main.ts), as `distdb node` runs
// them but for the supervisor, which restarts the engine with the same
// settings.

import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import { connect, type Client } from '../../src/index.js';
import { freePort, startDistdb, startScript, tempDir, type Proc } from '../helpers/processes.js';

const NODE_COORDINATOR_MAIN = resolve(
  fileURLToPath(import.meta.url),
  '../../helpers/node-coordinator-main.js',
);
const SMALL_FRAME = 256 * 1024;
/** More than an engine with SMALL_FRAME holds in one entry; the default frame (64 MiB) holds it. */
const TOO_BIG = Buffer.alloc(SMALL_FRAME, 7);

const dir = tempDir('distdb-own-room-');
const dataDir = join(dir.path, 'data');
const socket = join(dir.path, 'engine.sock');
let engine: Proc | null = null;
let coordinator: Proc | null = null;
let port = 0;
let client: Client | null = null;

/** Starts the engine, with a frame of `frame` bytes (null: the default). */
async function startEngine(frame: number | null): Promise<void> {
  const env = frame === null ? {} : { STORAGE_MAX_FRAME_SIZE: String(frame) };
  engine = startDistdb(['storage', '--data-dir', dataDir, '--socket', socket], { env });
  await engine.waitFor(/distdb storage ready/);
}

/** kill -9 of the engine, by its PID. */
async function killEngine(): Promise<void> {
  engine!.kill('SIGKILL');
  await engine!.exited;
  engine = null;
}

async function status(): Promise<ClusterStatus> {
  const c = await connect({ port, reconnect: false });
  try {
    return JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
  } finally {
    await c.close();
  }
}

/** Waits until the node leads again (its Raft state reloaded); returns its status then. */
async function leading(): Promise<ClusterStatus> {
  for (let i = 0; ; i++) {
    const s = await status().catch(() => null);
    if (s?.role === 'leader') return s;
    assert.ok(i < 300, `n1 did not lead again within 30 s: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

before(async () => {
  await startEngine(null);
  port = await freePort();
  coordinator = startScript(NODE_COORDINATOR_MAIN, [
    ...['--id', 'n1', '--host', '127.0.0.1', '--port', String(port)],
    ...['--peer-port', String(await freePort()), '--data-dir', dataDir, '--socket', socket],
  ]);
  await coordinator.waitFor(/node coordinator ready/, 30_000);
  client = await connect({ port, timeoutMs: 15_000 });
});

after(async () => {
  await client?.close();
  await coordinator?.stop();
  await engine?.stop();
  dir.remove();
});

test("the limit on proposals follows the node's own engine as soon as it is back", async () => {
  const large = (await leading()).members[0]!;
  assert.ok(large.entryRoom! > TOO_BIG.length, JSON.stringify(large));

  // The engine restarts with a small frame: the first write after the node leads again is
  // refused before it is proposed, naming this node's engine.
  await killEngine();
  await startEngine(SMALL_FRAME);
  const small = (await leading()).members[0]!;
  assert.ok(small.entryRoom! < SMALL_FRAME, JSON.stringify(small));
  await assert.rejects(
    client!.put('big', TOO_BIG),
    /ERR the write needs a Raft entry of \d+ bytes, but node n1's storage engine holds at most \d+ \(STORAGE_MAX_FRAME_SIZE 262144 there\)/,
  );

  // And with the default frame again, the first write after fits.
  await killEngine();
  await startEngine(null);
  await leading();
  assert.equal(await client!.put('big', TOO_BIG), true);
  assert.deepEqual(await client!.get('big'), TOO_BIG);
  assert.doesNotMatch(coordinator!.output(), /cannot store a Raft entry/);
});
