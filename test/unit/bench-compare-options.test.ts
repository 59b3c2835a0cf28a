import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, UsageError } from '../../bench/compare/options.js';
import { defaultResultName, loadWarning } from '../../bench/compare/results-file.js';

test('the defaults are the full comparison of issue 5', () => {
  assert.deepEqual(parseOptions({}, 'out.json'), {
    systems: ['distdb', 'etcd', 'redis'],
    workloads: ['put', 'get', 'mixed'],
    clients: [1, 16, 64],
    durationSec: 5,
    warmupSec: 2,
    keys: 100_000,
    valueSize: 100,
    rounds: 1,
    out: 'out.json',
  });
});

test('lists take spaces and duplicates, and --out wins over the default', () => {
  const o = parseOptions(
    {
      systems: 'redis, distdb,redis',
      clients: '64,1,64',
      warmup: '0',
      duration: '0.5',
      out: 'x.json',
    },
    'default.json',
  );
  assert.deepEqual(o.systems, ['redis', 'distdb']);
  assert.deepEqual(o.clients, [64, 1]);
  assert.equal(o.warmupSec, 0);
  assert.equal(o.durationSec, 0.5);
  assert.equal(o.out, 'x.json');
});

test('every bad flag is refused with what is allowed', () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ systems: 'mysql' }, /--systems: unknown "mysql"; choose from distdb, etcd, redis/],
    [{ systems: ' , ' }, /--systems needs at least one/],
    [{ workloads: 'scan' }, /--workloads: unknown "scan"; choose from put, get, mixed/],
    [{ clients: '0' }, /--clients must be a whole number from 1 to 1024, got "0"/],
    [{ clients: '2.5' }, /--clients must be a whole number/],
    [{ clients: '' }, /--clients needs at least one/],
    [{ duration: '0' }, /--duration must be a number from 0.1 to 3600/],
    [{ warmup: 'soon' }, /--warmup must be a number/],
    [{ keys: '' }, /--keys must be a whole number/],
    [{ valueSize: '-1' }, /--value-size must be a whole number from 1/],
    [{ rounds: '0' }, /--rounds must be a whole number from 1 to 25, got "0"/],
    [{ rounds: '1.5' }, /--rounds must be a whole number/],
  ];
  for (const [flags, message] of bad) {
    assert.throws(
      () => parseOptions(flags, 'o.json'),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(flags),
    );
  }
});

test('a result file is named for the minute the run began, in UTC', () => {
  assert.equal(defaultResultName(new Date('2026-11-26T09:05:59.999Z')), '2026-11-26-0905.json');
});

test('a run on an already busy machine says so', () => {
  const machine = {
    cpus: 2,
    cpuModel: 'x',
    memoryGiB: 1,
    node: 'v20',
    loadAverageAtStart: [1, 0, 0],
  };
  assert.equal(loadWarning(machine), null);
  assert.match(
    loadWarning({ ...machine, loadAverageAtStart: [20.2, 17, 12] }) ?? '',
    /load average was 20.2 on 2 CPUs .* low and noisy/,
  );
});
