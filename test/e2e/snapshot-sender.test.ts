// A leader's snapshot sender (snapshot-sender.ts) against a real storage
// engine process: it offers the stored snapshot by its size, reads it back a
// chunk at a time as Raft would ask (each chunk from where the last one
// ended, 1 MiB at most), and the chunks are exactly Raft's snapshot data
// (address book, then the image). Once a compaction replaced the stored
// snapshot, a read answers 'moved' (the engine refuses it, or has no bytes
// left under the same head), which restarts the transfers; a snapshot stored
// without its image is not offered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SnapshotSender } from '../../src/coordinator/replication/snapshot-sender.js';
import {
  decodeStoredSnapshot,
  encodeSnapshotData,
  encodeStoredSnapshot,
} from '../../src/coordinator/replication/snapshot-format.js';
import type { Proposal } from '../../src/kv/types.js';
import type { SnapshotChunkWanted } from '../../src/raft/types.js';
import { connectStorage } from '../../src/storage/client.js';
import { startDistdb, tempDir } from '../helpers/processes.js';

const MiB = 1024 * 1024;
const GROUP = 0;
const book = new Map([['n1', { peer: '127.0.0.1:1', client: null }]]);
const conf = { voters: ['n1'], learners: [] };
const headAt = (index: number): Uint8Array =>
  encodeStoredSnapshot({
    metadata: { index, term: 1, conf },
    data: encodeSnapshotData(book, new Uint8Array(0)),
  });
const put = (i: number): Proposal => ({
  command: { op: 'put', key: Buffer.from(`k${i}`), value: Buffer.alloc(10_000, i) },
});

test('a stored snapshot is sent a chunk at a time, exactly; once replaced, a read says it moved', async () => {
  const dir = tempDir('distdb-sender-');
  const engine = startDistdb(['storage', '--data-dir', dir.path]);
  try {
    const m = await engine.waitFor(/distdb storage ready socket=(\S+)/);
    const s = await connectStorage(m[1] as string);
    try {
      // 300 values of 10 kB: an image of about 3 MB, in pieces of 1 MiB.
      await s.apply(
        GROUP,
        Array.from({ length: 300 }, (_, i) => put(i)),
        300,
      );
      await s.raftSnapshotFromState(GROUP, 300, headAt(300), true);
      const expected = decodeStoredSnapshot((await s.raftLoadSnapshot(GROUP))!).data;
      assert.ok(expected.length > 3_000_000);

      const sender = new SnapshotSender(s, GROUP);
      assert.deepEqual(await sender.load(), { index: 300, total: expected.length });
      const parts: Uint8Array[] = [];
      for (let offset = 0; offset < expected.length;) {
        const length = Math.min(MiB, expected.length - offset);
        const chunk = await sender.read({ index: 300, offset, length });
        assert.ok(chunk instanceof Uint8Array, `a chunk at ${offset}`);
        assert.ok(chunk.length >= 1 && chunk.length <= length);
        parts.push(chunk);
        offset += chunk.length;
      }
      assert.deepEqual(Buffer.concat(parts), Buffer.from(expected), 'book and image, exactly');
      assert.ok(parts.length > 3, 'several chunks');
      assert.equal(sender.heldBytes, 0, 'nothing held once handed over');

      // Raft asks again before the first read answered: read once.
      const want: SnapshotChunkWanted = { index: 300, offset: 1000, length: MiB };
      const [first, again] = await Promise.all([sender.read(want), sender.read(want)]);
      assert.ok(first instanceof Uint8Array);
      assert.equal(again, null);
      assert.equal(await sender.read({ ...want, index: 299 }), 'moved', 'a snapshot not offered');

      // A compaction stores a newer snapshot, its head alone: the image is gone.
      await s.apply(GROUP, [put(300)], 301);
      await s.raftSnapshotFromState(GROUP, 301, headAt(301), false);
      assert.equal(await sender.read(want), 'moved');
      assert.equal(await sender.read({ ...want, offset: 0 }), 'moved', 'given up for good');
      assert.equal(await sender.load(), 'no-image', 'not offered without its image');

      // One with its image is offered again, and read from its start.
      await s.raftSnapshotFromState(GROUP, 301, headAt(301), true);
      const offer = await sender.load();
      assert.ok(offer !== null && offer !== 'no-image' && offer.index === 301);
      const head = decodeStoredSnapshot(headAt(301)).data.length;
      assert.ok(
        (await sender.read({ index: 301, offset: head, length: MiB })) instanceof Uint8Array,
      );
      // Stored again at the same index without its image: the same head, no bytes behind it.
      await s.raftSnapshotFromState(GROUP, 301, headAt(301), false);
      assert.equal(await sender.read({ index: 301, offset: head + 10, length: MiB }), 'moved');
    } finally {
      await s.close();
    }
  } finally {
    await engine.stop();
    dir.remove();
  }
});
