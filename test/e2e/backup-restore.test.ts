// distdb backup of a 3-node cluster under write load, distdb restore into a
// fresh 3-node cluster, and an exact comparison. Each writer writes its own
// keys one write at a time, write n setting key n % KEYS_PER_WRITER to n, so
// a consistent snapshot holds, per writer, exactly a prefix of its writes:
// from the backup's values we find that prefix, check it lies between what
// was acknowledged before the backup began and what was sent before it
// ended, and derive every key's expected value. The restored cluster must
// hold exactly that. Corrupt, truncated and misdirected restores are refused.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openBackup } from '../../src/cli/backup-file.js';
import { ImageParser } from '../../src/storage/state-image.js';
import { startDistdb, tempDir } from '../helpers/processes.js';
import { TestCluster, type ClusterNodeProc } from './cluster-support.js';

const WRITERS = 4;
const KEYS_PER_WRITER = 50;

async function run(args: string[]): Promise<{ code: number | string; out: string }> {
  const p = startDistdb(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

async function allKeys(cluster: TestCluster, node: ClusterNodeProc): Promise<Map<string, string>> {
  const c = await cluster.client(node);
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = (await c.command('SCAN', cursor, 'COUNT', '1000')) as [Buffer, Buffer[]];
    cursor = next.toString();
    for (const k of page) keys.push(k.toString());
  } while (cursor !== '0');
  const values = await c.mget(keys);
  return new Map(keys.map((k, i) => [k, values[i]!.toString()]));
}

test('backup under write load, restore into a fresh cluster: every key as of the backup index', async () => {
  const dir = tempDir('distdb-backup-');
  const file = join(dir.path, 'cluster.ddbk');
  const source = await TestCluster.start(3);
  const fresh = new TestCluster();
  try {
    const leader = source.node(await source.waitForLeader());
    const via = source.nodes.find((n) => n.id !== leader.id)!;
    const issued = new Array<number>(WRITERS).fill(0);
    const acked = new Array<number>(WRITERS).fill(0);
    let stop = false;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      const c = await source.client(source.nodes[w % 3]!);
      while (!stop) {
        const n = issued[w]!;
        issued[w] = n + 1;
        await c.set(`w${w}:${n % KEYS_PER_WRITER}`, String(n));
        acked[w] = n + 1;
      }
    });
    while (Math.min(...acked) < 100) await new Promise((r) => setTimeout(r, 20));

    const ackedBefore = [...acked];
    const backup = await run(['backup', file, '--port', String(via.port)]);
    const issuedAfter = [...issued];
    assert.equal(backup.code, 0, backup.out);
    assert.match(backup.out, /backup .*: \d+ keys at raft index \d+/);
    assert.ok(!existsSync(`${file}.partial`));
    while (Math.min(...acked) < ackedBefore[0]! + 50) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(writers);

    const { header, chunks } = await openBackup(file);
    const image = new Map<string, string>();
    const parser = new ImageParser({
      pair: (k, v) => image.set(k.toString(), v.toString()),
      session: () => undefined,
    });
    for await (const chunk of chunks) parser.push(chunk);
    parser.end();
    assert.equal(parser.appliedIndex, header.index);
    assert.equal(image.size, header.keys);
    const expected = new Map<string, string>();
    for (let w = 0; w < WRITERS; w++) {
      let prefix = 0;
      for (const [k, v] of image)
        if (k.startsWith(`w${w}:`)) prefix = Math.max(prefix, Number(v) + 1);
      assert.ok(prefix >= ackedBefore[w]!, `writer ${w}: ${prefix} < acked ${ackedBefore[w]}`);
      assert.ok(prefix <= issuedAfter[w]!, `writer ${w}: ${prefix} > issued ${issuedAfter[w]}`);
      for (let n = Math.max(0, prefix - KEYS_PER_WRITER); n < prefix; n++) {
        expected.set(`w${w}:${n % KEYS_PER_WRITER}`, String(n));
      }
    }
    assert.deepEqual(image, expected, 'the backup is one consistent cut of every writer');

    for (let i = 1; i <= 3; i++) await fresh.addNodeSpec(`n${i}`);
    const peers = fresh.nodes.map((x) => `${x.id}=127.0.0.1:${x.peerPort}`).join(',');
    for (const n of fresh.nodes) {
      const r = await run([
        'restore',
        file,
        '--data-dir',
        n.dataDir,
        '--id',
        n.id,
        '--peers',
        peers,
      ]);
      assert.equal(r.code, 0, r.out);
    }
    const again = await run(['restore', file, '--data-dir', fresh.nodes[0]!.dataDir, '--id', 'n1']);
    assert.equal(again.code, 2);
    assert.match(again.out, /is not empty/);
    await Promise.all(fresh.nodes.map((n) => fresh.run(n)));
    await fresh.waitForLeader();
    for (const n of fresh.nodes) assert.deepEqual(await allKeys(fresh, n), expected, `on ${n.id}`);
    const status = await fresh.status(fresh.nodes[0]!);
    assert.ok(status.applied >= header.index);
    // A restored cluster is an ordinary one: it takes writes.
    const c = await fresh.client(fresh.nodes[1]!);
    await c.set('after-restore', 'yes');
    assert.equal((await c.get('after-restore'))?.toString(), 'yes');
  } finally {
    await source.stop();
    await fresh.stop();
  }

  // Damaged files are refused before anything is written.
  const bytes = readFileSync(file);
  const corrupt = join(dir.path, 'corrupt.ddbk');
  const flipped = Buffer.from(bytes);
  const at = Math.floor(bytes.length / 2);
  flipped.writeUInt8(flipped.readUInt8(at) ^ 0x01, at);
  writeFileSync(corrupt, flipped);
  const truncated = join(dir.path, 'truncated.ddbk');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  for (const [f, why] of [
    [corrupt, /checksum/],
    [truncated, /truncated/],
  ] as const) {
    const target = join(dir.path, 'never');
    const r = await run(['restore', f, '--data-dir', target]);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, why);
    assert.ok(!existsSync(target), 'nothing written');
  }
  dir.remove();
});
