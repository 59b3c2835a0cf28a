// The engine's frame against the entries its Raft logs hold (frame-check.ts):
// what each needs, and what the LMDB backend reports on a real environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFrame, frameFor, FrameTooSmallError } from '../../src/storage/frame-check.js';
import { LmdbBackend } from '../../src/storage/lmdb-backend.js';
import { tempDir } from '../helpers/processes.js';

test('an unapplied entry needs an apply request of one frame; an applied one a reply', () => {
  const unapplied = { group: 0, index: 7, bytes: 300_000, applied: false };
  const need = frameFor(unapplied);
  assert.equal(need, 300_000 + 4 + 22); // an apply's item overhead and fixed fields
  checkFrame([unapplied], need);
  assert.throws(
    () => checkFrame([unapplied], need - 1),
    (err: Error) =>
      err instanceof FrameTooSmallError &&
      err.message.includes(
        `the Raft log of group 0 holds an entry of 300000 bytes (index 7) that STORAGE_MAX_FRAME_SIZE ${need - 1}`,
      ) &&
      err.message.includes(`cannot carry to be applied`) &&
      err.message.includes(`STORAGE_MAX_FRAME_SIZE of at least ${need};`),
  );

  const applied = { ...unapplied, applied: true };
  const reply = frameFor(applied);
  assert.equal(reply, Math.ceil((300_000 + 25) / 4));
  checkFrame([applied], reply);
  assert.throws(
    () => checkFrame([applied], reply - 1),
    /cannot carry back to the node at its next load .* at least 75007\. The log keeps the entry until its next snapshot/,
  );
});

test("the backend reports each group's largest entry on either side of its applied index", async () => {
  const dir = tempDir('distdb-frame-check-');
  try {
    const b1 = new LmdbBackend(dir.path);
    const sizes = [10, 500, 20, 100, 30];
    await b1.raftAppend(
      3,
      sizes.map((n, i) => ({ index: i + 1, data: Buffer.alloc(n, i) })),
      null,
    );
    const noop = { command: { op: 'noop' } } as const;
    await b1.commit([{ kind: 'apply', group: 3, proposals: [noop, noop, noop], appliedIndex: 3 }]);
    assert.deepEqual(b1.largestLogEntries(), [
      { group: 3, index: 2, bytes: 500, applied: true },
      { group: 3, index: 4, bytes: 100, applied: false },
    ]);
    await b1.close();
    const b2 = new LmdbBackend(dir.path);
    assert.deepEqual(b2.largestLogEntries(), [
      { group: 3, index: 2, bytes: 500, applied: true },
      { group: 3, index: 4, bytes: 100, applied: false },
    ]);
    // The log read back for the check serves the raft load that follows.
    const page = await b2.raftEntries(3, 1, 6, 1 << 20);
    assert.deepEqual(
      page.map((e) => e.data.length),
      sizes,
    );
    await b2.close();
  } finally {
    dir.remove();
  }
});
