import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MachineCpuMeter,
  otherProcessCpus,
  parseCpuLine,
} from '../../bench/compare/machine-cpu.js';
import { DISTURBED_CPUS, formatGroup, machineLines } from '../../bench/compare/table.js';
import { m } from './bench-compare-fixture.js';

test('the aggregate cpu line splits processes, interrupts and idle; steal and guest are left out', () => {
  const stat = [
    'cpu  100 20 30 400 50 6 7 800 90 10',
    'cpu0 1 1 1 1 1 1 1 1 1 1',
    'intr 12345',
  ].join('\n');
  // processes: user + nice + system; interrupts: irq + softirq; capacity adds idle + iowait.
  assert.deepEqual(parseCpuLine(stat), { capacity: 613, processes: 150, interrupts: 13 });
  assert.throws(() => parseCpuLine('cpu0 1 2 3\n'), /no aggregate "cpu" line/);
});

test('the machine meter reads this machine: its capacity covers the busy time of this process', () => {
  const meter = new MachineCpuMeter();
  meter.start();
  const started = process.cpuUsage();
  const until = Date.now() + 200;
  while (Date.now() < until); // busy, so the window holds at least this much process time
  const used = process.cpuUsage(started);
  const cpu = meter.stop();
  const mine = (used.user + used.system) / 1e6;
  // Seconds are clock ticks over the tick rate: with no idle tick in the
  // window (a fully busy machine) the sum may round past the capacity
  // (0.4 + 0.01 > 0.41 in binary floating point), so compare within 1 µs.
  const EPSILON = 1e-6;
  assert.ok(cpu.capacity + EPSILON >= cpu.processes + cpu.interrupts, JSON.stringify(cpu));
  // Clock ticks are coarse (10 ms): allow two of them.
  assert.ok(cpu.processes >= mine - 0.02, `machine ${cpu.processes} s, this process ${mine} s`);
});

test('other programs are what the processes used beyond the servers and the load generator', () => {
  const machine = { capacity: 20, processes: 9, interrupts: 1 };
  // 9 s of process time in a 5 s window, 2 s of it the servers', 1 s the load generator's.
  assert.equal(otherProcessCpus(machine, { servers: 2, loadGenerator: 1 }, 5), 1.2);
  // Rounding of the separate meters never makes it negative.
  assert.equal(otherProcessCpus(machine, { servers: 8, loadGenerator: 2 }, 5), 0);
});

test('a run beside other work is flagged under its table; a quiet one is not', () => {
  const at = (otherSeconds: number) => {
    const base = m('distdb', 'get', 64, 1000); // 5 s window, servers 2 s, load generator 1 s
    return {
      ...base,
      cpuSeconds: {
        ...base.cpuSeconds,
        machine: { capacity: 10, processes: 3 + otherSeconds, interrupts: 0.5 },
      },
    };
  };
  const quiet = machineLines(at(0.1));
  assert.deepEqual(quiet, [
    '  distdb machine: 36% busy; in CPUs: servers 0.40, load generator 0.20, interrupts 0.10, other programs 0.02',
  ]);
  const disturbed = formatGroup('get', 64, [at(5 * DISTURBED_CPUS + 4)]);
  assert.match(disturbed, /distdb machine: 80% busy; .* other programs 0\.90/);
  assert.match(
    disturbed,
    /distdb: other programs used 0\.90 CPUs during this run, so its figures are low and noisy/,
  );
  // A results file from before the machine was measured: no line at all.
  assert.deepEqual(machineLines(m('distdb', 'get', 64, 1000)), []);
});
