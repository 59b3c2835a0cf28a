// A Ready's log write and apply larger than the storage engine's frame go in
// several requests (batch-parts.ts), against a real engine whose frame is
// lowered to 8 KiB; and a crash after some of the parts leaves a log and a
// hard state a restart can trust.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendInParts,
  applyInParts,
  entryRoom,
} from '../../src/coordinator/replication/batch-parts.js';
import { loadRaftState, type ReplicaStorage } from '../../src/coordinator/replication/raft-disk.js';
import { encodeProposal } from '../../src/kv/codec.js';
import { decodeEntry, decodeHardState } from '../../src/raft/codec.js';
import type { Entry, HardState } from '../../src/raft/types.js';
import { connectStorage, StorageError, type StorageClient } from '../../src/storage/client.js';
import { startDistdb, tempDir, type Proc } from '../helpers/processes.js';

const FRAME = 8 * 1024;
const GROUP = 0;

async function startEngine(dataDir: string): Promise<{ proc: Proc; client: StorageClient }> {
  const proc = startDistdb(['storage', '--data-dir', dataDir, '--max-frame-size', String(FRAME)]);
  const m = await proc.waitFor(/distdb storage ready socket=(\S+)/);
  return { proc, client: await connectStorage(m[1] as string) };
}

const entries = (from: number, to: number, term: number, bytes = 1000): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    index: from + i,
    term,
    type: 'normal',
    data: Buffer.alloc(bytes, from + i),
  }));

async function stored(client: StorageClient): Promise<{ log: Entry[]; hs: HardState | null }> {
  const disk = await client.raftLoad(GROUP);
  return {
    log: disk.entries.map((e) => decodeEntry(e.data)),
    hs: disk.hardState ? decodeHardState(disk.hardState) : null,
  };
}

/** The real client, but only its first `n` raftAppend requests reach the engine (`reached`). */
function dyingAfter(
  client: StorageClient,
  n: number,
): ReplicaStorage & { reached: Array<Promise<void>> } {
  const s = Object.create(client) as ReplicaStorage & { reached: Array<Promise<void>> };
  s.reached = [];
  s.raftAppend = (group, list, hs) => {
    if (s.reached.length >= n) return Promise.reject(new Error('the engine died here'));
    const p = client.raftAppend(group, list, hs);
    s.reached.push(p);
    return p;
  };
  return s;
}

test('appends and applies larger than a frame go in parts; a crash between parts leaves a consistent prefix', async () => {
  const dir = tempDir('distdb-batch-parts-');
  let engine = await startEngine(dir.path);
  try {
    // 60 entries of 1000 bytes: about 8 parts. Then a new leader's 40
    // entries replace the suffix from 31 on, and the engine dies after 2 of
    // their parts.
    const counting = dyingAfter(engine.client, Infinity);
    await appendInParts(counting, GROUP, entries(1, 60, 1), { term: 1, vote: 'n1', commit: 30 });
    assert.ok(counting.reached.length >= 7, `${counting.reached.length} requests`);
    let s = await stored(engine.client);
    assert.deepEqual(
      s.log.map((e) => e.index),
      entries(1, 60, 1).map((e) => e.index),
    );
    assert.deepEqual(s.hs, { term: 1, vote: 'n1', commit: 30 });

    const dying = dyingAfter(engine.client, 2);
    await assert.rejects(
      appendInParts(dying, GROUP, entries(31, 70, 2), { term: 2, vote: 'n2', commit: 65 }),
      /the engine died here/,
    );
    await Promise.all(dying.reached); // the parts before the crash are durable
    engine.proc.kill('SIGKILL');
    await engine.proc.exited;
    await engine.client.close();
    engine = await startEngine(dir.path);
    s = await stored(engine.client);
    const last = s.log[s.log.length - 1] as Entry;
    // A prefix of the new entries, none of the old suffix after them.
    assert.ok(last.index > 31 && last.index < 60, `log ends at ${last.index}`);
    assert.deepEqual(
      s.log.map((e) => [e.index, e.term]),
      [...entries(1, 30, 1), ...entries(31, last.index, 2)].map((e) => [e.index, e.term]),
    );
    // The new term and vote with them, and a commit index the log holds.
    assert.deepEqual(s.hs, { term: 2, vote: 'n2', commit: last.index });
    const loaded = await loadRaftState(engine.client, GROUP);
    assert.equal(loaded.persisted.hardState.commit, last.index);

    // The rest goes on after that prefix; the whole hard state with the last part.
    await appendInParts(engine.client, GROUP, entries(last.index + 1, 70, 2), {
      term: 2,
      vote: 'n2',
      commit: 65,
    });
    s = await stored(engine.client);
    assert.equal(s.log.length, 70);
    assert.deepEqual(s.hs, { term: 2, vote: 'n2', commit: 65 });

    // 30 puts of 1000 bytes in one apply: several requests, every result, the last index applied.
    const puts = Array.from({ length: 30 }, (_, i) =>
      encodeProposal({
        command: { op: 'put', key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i) },
      }),
    );
    const noValues = (): boolean => false;
    const results = await applyInParts(engine.client, GROUP, puts, 30, noValues, 1000);
    assert.equal(results.length, 30);
    assert.equal((await engine.client.stats(GROUP)).appliedIndex, 30);
    assert.deepEqual(await engine.client.get(GROUP, Buffer.from('k29')), Buffer.alloc(1000, 29));

    // 30 GETDELs of values of 2000 bytes in one apply: their old values are
    // more than one reply carries (4 frames), so they go in more requests still.
    const values = Array.from({ length: 30 }, (_, i) => Buffer.alloc(2000, i));
    const puts2k = values.map((value, i) =>
      encodeProposal({ command: { op: 'put', key: Buffer.from(`g${i}`), value } }),
    );
    await applyInParts(engine.client, GROUP, puts2k, 60, noValues, 2000);
    const getdels = values.map((_, i) =>
      encodeProposal({ command: { op: 'getdel', key: Buffer.from(`g${i}`) } }),
    );
    const olds = await applyInParts(engine.client, GROUP, getdels, 90, () => true, 2000);
    assert.deepEqual(
      olds.map((r) => (r.op === 'getdel' ? r.old : r)),
      values,
    );
    assert.equal((await engine.client.stats(GROUP)).appliedIndex, 90);

    // One entry larger than a request is never split: refused, and refused as a proposal.
    const big = entries(71, 71, 2, FRAME);
    await assert.rejects(
      appendInParts(engine.client, GROUP, big, null),
      (e: unknown) => e instanceof StorageError && /STORAGE_MAX_FRAME_SIZE/.test(e.message),
    );
    const room = entryRoom(engine.client.batchRoom);
    assert.ok(room < FRAME && room > 1000, String(room));
    // An entry of that room is written and applied.
    const fits = entries(71, 71, 2, room);
    await appendInParts(engine.client, GROUP, fits, null);
  } finally {
    await engine.client.close();
    await engine.proc.stop();
    dir.remove();
  }
});
