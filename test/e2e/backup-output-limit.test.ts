// distdb backup from a node whose --max-output-buffer is as small as its
// --max-value-size allows: every BACKUP CHUNK reply must fit the limit with
// its framing, even for stored pairs (a 1000-byte key and a value of the
// largest size) that are larger than the limit, or the backup client is
// disconnected as one that does not read. The file must hold every pair.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openBackup } from '../../src/cli/backup-file.js';
import { oneValueReplyBytes } from '../../src/coordinator/limits.js';
import { bulkReplyBytes } from '../../src/resp/reply-encoder.js';
import { ImageParser } from '../../src/storage/state-image.js';
import { startDistdb, tempDir } from '../helpers/processes.js';
import { startNode, RawConnection, text } from './coordinator-support.js';

const VALUE_SIZE = 4000;
/** The smallest output limit the node accepts with that value size. */
const OUTPUT_BUFFER = oneValueReplyBytes(VALUE_SIZE);

test(`distdb backup from a node with --max-output-buffer ${OUTPUT_BUFFER} (--max-value-size ${VALUE_SIZE}) holds every pair`, async () => {
  const node = await startNode([
    '--max-value-size',
    String(VALUE_SIZE),
    '--max-output-buffer',
    String(OUTPUT_BUFFER),
  ]);
  const dir = tempDir('distdb-backup-limit-');
  try {
    const written = new Map<string, string>();
    const c = await RawConnection.open(node.port);
    try {
      for (let i = 0; i < 200; i++) written.set(`small:${i}`, `v${i}`.repeat(20));
      // Each of these pairs is larger than a reply may be.
      for (let i = 0; i < 10; i++) written.set(`${i}`.repeat(1000), String(i).repeat(VALUE_SIZE));
      for (const [k, v] of written) assert.equal(text(await c.command('SET', k, v)), 'OK');
    } finally {
      c.close();
    }

    const file = join(dir.path, 'node.ddbk');
    const backup = startDistdb(['backup', file, '--port', String(node.port)]);
    assert.equal(await backup.exited, 0, backup.output());

    const { chunks } = await openBackup(file);
    const image = new Map<string, string>();
    const parser = new ImageParser({
      pair: (k, v) => image.set(k.toString(), v.toString()),
      session: () => undefined,
    });
    for await (const chunk of chunks) {
      const reply = bulkReplyBytes(chunk.length);
      assert.ok(reply <= OUTPUT_BUFFER, `a reply of ${reply} bytes carried a chunk`);
      parser.push(chunk);
    }
    parser.end();
    assert.deepEqual(image, written);
  } finally {
    await node.stop();
    dir.remove();
  }
});
