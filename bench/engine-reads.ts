// The storage engine's share of a linearizable GET, alone: the leader's
// coordinator sends the reads one ReadIndex round released as one getMany
// frame (storage client), so this drives an engine with rounds of --batch
// reads of uniform keys, --rounds of them in flight, over a preloaded key
// space, without the other five processes. Prints reads/s and the engine's
// CPU per read, the figure an engine-side read change should lower.
//
//   node dist/bench/engine-reads.js [--seconds 10] [--batch 60] [--rounds 2] [--keys 100000] [--value-size 100]

import { encodeProposal } from '../src/kv/codec.js';
import { connectStorage } from '../src/storage/client.js';
import { TreeCpuMeter } from './compare/proc-cpu.js';
import { ownEngine } from './own-engine.js';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'engine-reads',
  run: 'node dist/bench/engine-reads.js',
  about:
    "The storage engine's share of a linearizable GET, alone: rounds of reads of uniform\n" +
    "keys sent as the leader's coordinator sends them (the gets of one tick in one getMany\n" +
    'frame), over a preloaded key space. After 2 s of warm-up, prints reads/s and the\n' +
    "engine's CPU per read.",
};
const values = scriptOptions(usage, {
  seconds: { value: '<s>', help: 'measured time', default: '10' },
  batch: { value: '<n>', help: 'reads per round (a 64-client get run makes ~60)', default: '60' },
  rounds: { value: '<n>', help: 'rounds in flight at once', default: '2' },
  keys: { value: '<n>', help: 'distinct keys, preloaded, drawn uniformly', default: '100000' },
  'value-size': { value: '<bytes>', help: 'bytes of each value', default: '100' },
});
const [seconds, batch, rounds, keys, valueSize] = [
  values.seconds,
  values.batch,
  values.rounds,
  values.keys,
  values['value-size'],
].map(Number) as [number, number, number, number, number];
if (![seconds, batch, rounds, keys].every((n) => n > 0) || !(valueSize >= 0)) {
  refuse(
    usage,
    '--seconds, --batch, --rounds and --keys must be positive, --value-size at least 0',
  );
}

const key = (i: number): Buffer => Buffer.from(`key:${i}`);
const engine = await ownEngine();
const storage = await connectStorage(engine.socket);
try {
  const value = Buffer.alloc(valueSize, 'v');
  for (let i = 0; i < keys; i += 1000) {
    const puts = [];
    for (let k = i; k < Math.min(keys, i + 1000); k++) {
      puts.push(encodeProposal({ command: { op: 'put', key: key(k), value } }));
    }
    await storage.apply(0, puts, Math.min(keys, i + 1000));
  }
  let reads = 0;
  // One round: `batch` gets issued in one tick, as a released ReadIndex round's are.
  const round = async (): Promise<void> => {
    const gets = [];
    for (let i = 0; i < batch; i++) {
      gets.push(storage.get(0, key(Math.floor(Math.random() * keys))));
    }
    for (const v of await Promise.all(gets)) {
      if (v === null || v.length !== valueSize) throw new Error('a preloaded key read back wrong');
    }
    reads += batch;
  };
  const runFor = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    const loop = async (): Promise<void> => {
      while (performance.now() < end) await round();
    };
    await Promise.all(Array.from({ length: rounds }, loop));
  };
  await runFor(2000);
  const meter = new TreeCpuMeter(() => [{ pid: engine.pid, name: 'engine', childName: null }]);
  reads = 0;
  meter.start();
  const started = performance.now();
  await runFor(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = meter.stop().total;
  console.log(
    `engine reads: ${batch}-read rounds, ${rounds} in flight, ${valueSize}-byte values over ${keys} keys: ` +
      `${Math.round(reads / elapsed)} reads/s, engine CPU ${((cpu / reads) * 1e6).toFixed(2)} µs per read ` +
      `(${Math.round((cpu / elapsed) * 100)}% of a core)`,
  );
} finally {
  await storage.close();
  await engine.stop();
}
