// The storage engine's share of a replicated put, alone: what an engine does
// for each batch in a 3-node cluster at 64 clients (a Raft append of the
// batch's entries, then the apply of the same proposals), driven as a
// replica's coordinator drives it (the next append does not wait for the
// apply), without the other five processes. Prints entries/s and the
// engine's CPU per entry, the figure an engine-side change should lower.
//
//   node dist/bench/engine-path.js [--seconds 10] [--batch 28] [--clients 64] [--keys 100000] [--value-size 100] [--rate 0]

import { setTimeout as sleep } from 'node:timers/promises';
import { encodeProposal } from '../src/kv/codec.js';
import type { Proposal } from '../src/kv/types.js';
import { encodeEntry } from '../src/raft/codec.js';
import { connectStorage } from '../src/storage/client.js';
import { TreeCpuMeter } from './compare/proc-cpu.js';
import { ownEngine } from './own-engine.js';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'engine-path',
  run: 'node dist/bench/engine-path.js',
  about:
    "The storage engine's share of a replicated put, alone: a Raft append of each batch's\n" +
    'entries, then the apply of the same proposals (the next append not waiting for the\n' +
    "apply), as a replica's coordinator drives its engine. After 2 s of warm-up, prints\n" +
    "entries/s and the engine's CPU per entry.",
};
const values = scriptOptions(usage, {
  seconds: { value: '<s>', help: 'measured time', default: '10' },
  batch: { value: '<n>', help: 'entries per append and apply', default: '28' },
  clients: { value: '<n>', help: 'client sessions the proposals rotate through', default: '64' },
  keys: { value: '<n>', help: 'distinct keys, drawn uniformly', default: '100000' },
  'value-size': { value: '<bytes>', help: 'bytes of each value', default: '100' },
  rate: {
    value: '<n>',
    help: "entries per second at most (0: as fast as it goes); at the cluster's rate an engine's commits are as large as there",
    default: '0',
  },
});
const [seconds, batch, clients, keys, valueSize, rate] = [
  values.seconds,
  values.batch,
  values.clients,
  values.keys,
  values['value-size'],
  values.rate,
].map(Number) as [number, number, number, number, number, number];
if (![seconds, batch, clients, keys].every((n) => n > 0) || !(valueSize >= 0 && rate >= 0)) {
  refuse(
    usage,
    '--seconds, --batch, --clients and --keys must be positive numbers, --value-size and --rate at least 0',
  );
}

const TERM = 1;
const value = Buffer.alloc(valueSize, 'v');
const seqs = new Array<number>(clients).fill(0);
let nextClient = 0;

/** A put of a uniform key by the next client in turn, in its session, as the coordinator proposes it. */
function proposal(): Uint8Array {
  const c = nextClient;
  nextClient = (nextClient + 1) % clients;
  const p: Proposal = {
    session: { clientId: `n1/1/${c}.1`, seq: ++seqs[c]! },
    command: {
      op: 'put',
      key: Buffer.from(`key:${Math.floor(Math.random() * keys)}`),
      value,
    },
  };
  return encodeProposal(p);
}

const engine = await ownEngine();
const storage = await connectStorage(engine.socket);
try {
  let index = 0;
  // The apply is not awaited: wrapped, or the async function would wait for it.
  const oneBatch = async (): Promise<{ applied: Promise<unknown> }> => {
    const proposals = Array.from({ length: batch }, proposal);
    const first = index + 1;
    index += batch;
    await storage.raftAppend(
      0,
      proposals.map((data, i) => ({
        index: first + i,
        data: encodeEntry({ index: first + i, term: TERM, type: 'normal', data }),
      })),
      null,
    );
    return { applied: storage.apply(0, proposals, index) };
  };
  // With --rate, waits until the entries so far are due.
  const paceStart = performance.now();
  const pace = async (): Promise<void> => {
    const due = rate > 0 ? paceStart + (index / rate) * 1000 - performance.now() : 0;
    if (due > 0) await sleep(due);
  };
  // Warm-up, then the measured window.
  const warmEnd = performance.now() + 2000;
  while (performance.now() < warmEnd) {
    await oneBatch();
    await pace();
  }
  const firstMeasured = index;
  const meter = new TreeCpuMeter(() => [{ pid: engine.pid, name: 'engine', childName: null }]);
  meter.start();
  const started = performance.now();
  let applying: Promise<unknown> = Promise.resolve();
  while (performance.now() - started < seconds * 1000) {
    applying = (await oneBatch()).applied;
    await pace();
  }
  await applying;
  const elapsed = (performance.now() - started) / 1000;
  const entries = index - firstMeasured;
  const cpu = meter.stop().total;
  console.log(
    `engine path: ${batch}-entry batches, ${clients} sessions, ${valueSize}-byte values over ${keys} keys: ` +
      `${Math.round(entries / elapsed)} entries/s, engine CPU ${((cpu / entries) * 1e6).toFixed(1)} µs per entry ` +
      `(${Math.round((cpu / elapsed) * 100)}% of a core)`,
  );
} finally {
  await storage.close();
  await engine.stop();
}
