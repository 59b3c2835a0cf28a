import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LatencyHistogram } from '../../bench/histogram.js';
import { summarize } from '../../bench/compare/measurement.js';
import { parseProcStat, TreeCpuMeter, treeTicks } from '../../bench/compare/proc-cpu.js';
import { inBatches } from '../../bench/compare/systems/batches.js';

test('the latency summary holds p50, p99 and p999 of the recorded samples', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 .. 100 ms
  const s = summarize(h);
  const near = (got: number, exact: number): void =>
    assert.ok(Math.abs(got - exact) / exact < 0.01, `got ${got}, exact ${exact}`);
  near(s.p50, 50);
  near(s.p99, 99);
  near(s.p999, 99.9);
  assert.equal(s.max, 100);
  near(s.mean, 50.005);
  assert.deepEqual(summarize(new LatencyHistogram()), { p50: 0, p99: 0, p999: 0, max: 0, mean: 0 });
});

test('/proc/<pid>/stat is read after the last ")", whatever the command name holds', () => {
  const rest = 'S 4321 100 100 0 -1 4194560 500 0 0 0 250 75 3 4 20 0 11 0 12345 1000000 2000';
  assert.deepEqual(parseProcStat(`1234 (node) ${rest}`), { state: 'S', ppid: 4321, cpuTicks: 325 });
  assert.deepEqual(parseProcStat(`1234 (a) b (c) ${rest}`), {
    state: 'S',
    ppid: 4321,
    cpuTicks: 325,
  });
});

test('the process tree of this test includes itself with the CPU it used', () => {
  const until = Date.now() + 30;
  while (Date.now() < until); // use some CPU, so the tick count is above zero
  const ticks = treeTicks([process.pid]);
  assert.ok(ticks.has(process.pid));
  assert.ok(ticks.get(process.pid)! > 0);
  assert.equal(treeTicks([2 ** 22 + 7]).size, 0); // no such process: nothing, no error
});

test('the CPU meter splits a process from its children and sums both', async () => {
  const child = spawn(process.execPath, [
    '-e',
    'const t = Date.now() + 60_000; while (Date.now() < t);',
  ]);
  const childPid = child.pid!;
  const ticksOf = (pid: number): number =>
    parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuTicks;
  const meter = new TreeCpuMeter(() => [{ pid: process.pid, name: 'me', childName: 'kids' }]);
  meter.start();
  const [mine, its] = [ticksOf(process.pid), ticksOf(childPid)];
  // Both busy until each has been charged a clock tick: a fixed 300 ms
  // window left one of them at none when the machine was loaded.
  const until = Date.now() + 30_000;
  while ((ticksOf(process.pid) <= mine || ticksOf(childPid) <= its) && Date.now() < until);
  const { total, byProcess } = meter.stop();
  child.kill();
  await once(child, 'exit');
  assert.deepEqual(
    byProcess.map((p) => p.name),
    ['me', 'kids'],
  );
  assert.ok(byProcess[0]!.seconds > 0, 'this process used CPU');
  assert.ok(byProcess[1]!.seconds > 0, 'its busy child used CPU');
  assert.ok(Math.abs(total - byProcess[0]!.seconds - byProcess[1]!.seconds) < 1e-9);
});

test('batches cover the range once each, never more in flight than asked', async () => {
  const seen: number[] = [];
  const reported: number[] = [];
  let inFlight = 0;
  let most = 0;
  await inBatches(
    1003,
    100,
    3,
    async (from, to) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      for (let i = from; i < to; i++) seen.push(i);
      inFlight--;
    },
    (n) => reported.push(n),
  );
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    Array.from({ length: 1003 }, (_, i) => i),
  );
  assert.equal(most, 3);
  assert.equal(reported.at(-1), 1003);
  assert.equal(reported.length, 11);
});
