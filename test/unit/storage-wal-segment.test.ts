// A next WAL segment that cannot be written in full (disk full, or here a
// file-size limit: `ulimit -f`, which makes write() fail with EFBIG) leaves
// no partial next.tmp behind to hold disk space.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/processes.js';

const SEGMENT_MODULE = fileURLToPath(new URL('../../src/storage/wal-segment.js', import.meta.url));
/** 1 MiB segments under a 64 KiB limit on the size of any file the child writes. */
const LIMIT_KIB = 64;
const BYTES = 1024 * 1024;

/** Runs `call` (an expression on module `w`) in a child whose files may not exceed LIMIT_KIB; returns its error code. */
function underFileSizeLimit(call: string): string {
  const script =
    `const w = await import(${JSON.stringify(SEGMENT_MODULE)});` +
    `try { await ${call}; console.log('no error'); } catch (err) { console.log(err.code); }`;
  const r = spawnSync(
    'bash',
    [
      '-c',
      `ulimit -f ${LIMIT_KIB} && exec "$0" --input-type=module -e "$1"`,
      process.execPath,
      script,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a segment preallocation that fails removes its partial next.tmp', (t) => {
  const dir = tempDir('distdb-wal-segment-');
  t.after(() => dir.remove());
  const call = `w.prepareSegment(${JSON.stringify(dir.path)}, ${BYTES})`;
  assert.equal(underFileSizeLimit(call), 'EFBIG');
  assert.equal(existsSync(join(dir.path, 'next.tmp')), false, 'next.tmp was left behind');
});

test('a whole segment written at once that fails removes its partial next.tmp', (t) => {
  const dir = tempDir('distdb-wal-segment-');
  t.after(() => dir.remove());
  const call = `w.writeSegmentSync(${JSON.stringify(dir.path)}, [Buffer.alloc(10)], ${BYTES})`;
  assert.equal(underFileSizeLimit(call), 'EFBIG');
  assert.equal(existsSync(join(dir.path, 'next.tmp')), false, 'next.tmp was left behind');
});
