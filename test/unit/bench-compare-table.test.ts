import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMs, formatOps, formatRatio } from '../../bench/compare/format.js';
import { cpuPerOp, formatGroup, formatReport, formatTargets } from '../../bench/compare/table.js';
import { checkTargets } from '../../bench/compare/targets.js';
import { m } from './bench-compare-fixture.js';

test('numbers keep about three significant digits', () => {
  assert.equal(formatMs(0.0234), '0.023');
  assert.equal(formatMs(3.276), '3.28');
  assert.equal(formatMs(52.04), '52.0');
  assert.equal(formatMs(415.6), '416');
  assert.equal(formatOps(12345.6), '12,346');
  assert.equal(formatRatio(5.556), '5.56×');
  assert.equal(formatRatio(null), 'n/a');
});

test('a group shows each system, then distdb over each other system', () => {
  const etcd = m('etcd', 'put', 64, 2000, 20, 50);
  const text = formatGroup('put', 64, [
    m('distdb', 'put', 64, 10_000, 4, 25),
    etcd,
    m('redis', 'put', 64, 40_000, 1, 5),
  ]);
  const lines = text.split('\n');
  assert.equal(lines[0], 'put, 64 clients (5 s measured)');
  assert.match(
    lines[1]!,
    /^system\s+ops\/s\s+p50 ms\s+p99 ms\s+p999 ms\s+errors\s+server CPU s\s+loadgen CPU s\s+loadgen busy$/,
  );
  assert.match(lines[2]!, /^distdb\s+10,000\s+4\.00\s+25\.0\s+50\.0\s+0\s+2\.00\s+1\.00\s+20%$/);
  assert.match(lines[3]!, /^etcd\s+2,000\s+20\.0\s+50\.0\s+100\s/);
  assert.match(lines[5]!, /^distdb\/etcd\s+5\.00×\s+0\.20×\s+0\.50×\s+0\.50×$/);
  assert.match(lines[6]!, /^distdb\/redis\s+0\.25×\s+4\.00×\s+5\.00×\s+5\.00×$/);
  // 50,000 ops; 1.5 s of CPU in a and 0.5 s in b, 2 s in all.
  assert.equal(lines[7], '  distdb server CPU per op: a 30, b 10; in all 40 µs');
  assert.equal(lines.length, 10);
  // Columns line up: every row as wide as the header, ratio rows stop early.
  for (const l of lines.slice(2, 5)) assert.equal(l.length, lines[1]!.length);
});

test('errors and a saturated load generator are called out under the table', () => {
  const busy = {
    ...m('etcd', 'get', 16, 500),
    loadGeneratorBusy: 0.97,
    errors: 3,
    firstError: 'boom',
  };
  const text = formatGroup('get', 16, [busy]);
  assert.match(text, /etcd: 3 errors, the first: boom/);
  assert.match(text, /load generator was busy 97% .* it, not etcd, may have been the limit/);
  assert.doesNotMatch(formatGroup('get', 16, [m('etcd', 'get', 16, 500)]), /busy \d+% of/);
});

test('the report orders groups by workload, then client count', () => {
  const text = formatReport([
    m('distdb', 'mixed', 1, 1),
    m('distdb', 'get', 64, 1),
    m('distdb', 'put', 64, 1),
    m('distdb', 'put', 1, 1),
    m('etcd', 'put', 1, 1),
  ]);
  const titles = text.split('\n').filter((l) => /clients? \(/.test(l));
  assert.deepEqual(
    titles.map((t) => t.split(' (')[0]),
    ['put, 1 client', 'put, 64 clients', 'get, 64 clients', 'mixed, 1 client'],
  );
  assert.match(text, /put, 1 client[^]*distdb\/etcd/);
});

test('the target check prints one verdict per target', () => {
  const text = formatTargets(
    checkTargets([m('distdb', 'put', 1, 10, 0.5), m('etcd', 'put', 1, 10, 1)]),
  );
  const lines = text.split('\n');
  assert.equal(lines.length, 6);
  assert.match(text, /put, 1 client: distdb p50 ≤ etcd p50\s+MET\s+p50 0\.500 vs 1\.00 ms/);
  assert.equal(lines.filter((l) => /NOT MEASURED/.test(l)).length, 4);
});

test('no CPU-per-op line for a run without operations or without metered processes', () => {
  assert.equal(cpuPerOp({ ...m('redis', 'put', 1, 0) }), null);
  const unmetered = m('redis', 'put', 1, 100);
  assert.equal(
    cpuPerOp({ ...unmetered, cpuSeconds: { ...unmetered.cpuSeconds, byProcess: [] } }),
    null,
  );
});
