// What a follower's storage engine writes to disk to install a snapshot from
// its leader: a state image of --keys pairs is exported from one group and
// installed into another with a Raft snapshot head (what the driver sends),
// and the engine process's write_bytes (/proc/<pid>/io: bytes it caused to
// reach the disk) are read around the install. Prints the image's size and
// what the install wrote, in all and per image byte.
//
//   node dist/bench/install-writes.js [--keys 32000] [--value-size 1000]

import { readFileSync } from 'node:fs';
import { encodeProposal } from '../src/kv/codec.js';
import { connectStorage } from '../src/storage/client.js';
import { ownEngine } from './own-engine.js';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'install-writes',
  run: 'node dist/bench/install-writes.js',
  about:
    "What a follower's storage engine writes to disk to install a snapshot: an image of\n" +
    'the given pairs is installed over the socket with a Raft snapshot head, and the\n' +
    "engine's write_bytes (/proc/<pid>/io) are read around the install. Prints the\n" +
    "image's size and what the install wrote, in all and per image byte.",
};
const values = scriptOptions(usage, {
  keys: { value: '<n>', help: 'pairs in the image', default: '32000' },
  'value-size': { value: '<bytes>', help: 'bytes of each value', default: '1000' },
});
const keys = Number(values.keys);
const valueSize = Number(values['value-size']);
if (!(keys > 0) || !(valueSize >= 0)) {
  refuse(usage, '--keys must be a positive number, --value-size at least 0');
}

const FROM = 0;
const INTO = 1;
const APPLY_BATCH = 1000;

function writtenBytes(pid: number): number {
  const m = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/io has no write_bytes`);
  return Number(m[1]);
}

const engine = await ownEngine();
const storage = await connectStorage(engine.socket, { requestTimeoutMs: 0 });
try {
  const value = Buffer.alloc(valueSize, 'v');
  for (let done = 0; done < keys;) {
    const n = Math.min(APPLY_BATCH, keys - done);
    const proposals = Array.from({ length: n }, (_, i) =>
      encodeProposal({ command: { op: 'put', key: Buffer.from(`key:${done + i}`), value } }),
    );
    done += n;
    await storage.apply(FROM, proposals, done);
  }
  const exp = await storage.imageExportBegin(FROM);
  const image: Buffer[] = [];
  for (let last = false; !last;) {
    const next = await storage.imageExportChunk(FROM, exp.id, 1 << 20);
    image.push(next.chunk);
    last = next.last;
  }
  const imageBytes = image.reduce((sum, piece) => sum + piece.length, 0);
  // A follower's log exists before it installs: its first segment is not the install's to write.
  await storage.raftAppend(INTO, [{ index: 1, data: Buffer.from('entry') }], null);
  const before = writtenBytes(engine.pid);
  await storage.installImage(INTO, image, Buffer.from('snapshot head'));
  const written = writtenBytes(engine.pid) - before;
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  process.stdout.write(
    `image ${mb(imageBytes)} MB (${keys} keys of ${valueSize} bytes); the install wrote ${mb(written)} MB, ${(written / imageBytes).toFixed(2)} per image byte\n`,
  );
} finally {
  await storage.close();
  await engine.stop();
}
