// The memory an image install takes: a backup of --keys pairs is written
// (no cluster needed), `distdb restore` installs it into an empty data dir
// (its storage engine runs inside the restore process), and that process's
// /proc/<pid>/status is sampled every 20 ms. Prints the peak anonymous
// memory (what the process holds), the peak of file pages mapped (LMDB's
// file, which the kernel may reclaim) and VmHWM (the two together).
//
//   node dist/bench/install-memory.js [--keys 1000000] [--value-size 100]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupWriter } from '../src/cli/backup-file.js';
import { ITEM_END, ITEM_PAIR, imageHeader } from '../src/storage/state-image.js';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'install-memory',
  run: 'node dist/bench/install-memory.js',
  about:
    'The memory an image install takes: a backup of the given pairs is written, `distdb\n' +
    "restore` installs it, and the restore process's /proc status is sampled every 20 ms.\n" +
    'Prints the peak anonymous memory, the peak of file pages mapped, and VmHWM.',
};
const values = scriptOptions(usage, {
  keys: { value: '<n>', help: 'pairs in the backup', default: '1000000' },
  'value-size': { value: '<bytes>', help: 'bytes of each value', default: '100' },
});
const keys = Number(values.keys);
const valueSize = Number(values['value-size']);
if (!(keys > 0) || !(valueSize >= 0)) {
  refuse(usage, '--keys must be a positive number, --value-size at least 0');
}

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const INDEX = 1000;
const MB = 1024 * 1024;

/** A backup as `distdb backup` writes it: keys key:00000000, ... with equal values. */
async function writeBackup(path: string): Promise<number> {
  const w = await BackupWriter.create(path, {
    clusterId: 'install-memory',
    index: INDEX,
    term: 1,
    keys,
    createdAt: new Date().toISOString(),
    node: 'install-memory',
  });
  await w.chunk(imageHeader(INDEX));
  const value = Buffer.alloc(valueSize, 'v');
  let parts: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < keys; i++) {
    const key = Buffer.from(`key:${String(i).padStart(8, '0')}`);
    const item = Buffer.allocUnsafe(9 + key.length + value.length);
    item[0] = ITEM_PAIR;
    item.writeUInt32BE(key.length, 1);
    key.copy(item, 5);
    item.writeUInt32BE(value.length, 5 + key.length);
    value.copy(item, 9 + key.length);
    parts.push(item);
    bytes += item.length;
    if (bytes >= MB) {
      await w.chunk(Buffer.concat(parts));
      parts = [];
      bytes = 0;
    }
  }
  parts.push(Buffer.from([ITEM_END]));
  await w.chunk(Buffer.concat(parts));
  await w.finish();
  return w.bytes;
}

function statusKb(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  } catch {
    return 0; // it exited between two samples
  }
}

const dir = mkdtempSync(join(tmpdir(), 'distdb-install-memory-'));
try {
  const file = join(dir, 'image.ddbk');
  const fileBytes = await writeBackup(file);
  const child = spawn(
    process.execPath,
    [MAIN, 'restore', file, '--data-dir', join(dir, 'n1'), '--id', 'n1'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const peak = { anon: 0, file: 0, hwm: 0 };
  const sampler = setInterval(() => {
    const pid = child.pid as number;
    peak.anon = Math.max(peak.anon, statusKb(pid, 'RssAnon'));
    peak.file = Math.max(peak.file, statusKb(pid, 'RssFile'));
    peak.hwm = Math.max(peak.hwm, statusKb(pid, 'VmHWM'));
  }, 20);
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`distdb restore exited with ${code}`);
  const mb = (kb: number): string => (kb / 1024).toFixed(0);
  process.stdout.write(
    `backup ${(fileBytes / 1e6).toFixed(1)} MB (${keys} keys of ${valueSize} bytes): ${out.trim()}\n` +
      `restore process peak: anonymous ${mb(peak.anon)} MB, file-mapped ${mb(peak.file)} MB, VmHWM ${mb(peak.hwm)} MB\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
