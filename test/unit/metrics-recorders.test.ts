// The metrics recorders on their own: the rolling latency window (with a
// fake clock), error replies by code word, histogram series, and their
// rendering as strict Prometheus text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  HistogramSeries,
  LATENCY_BUCKETS,
} from '../../src/coordinator/metrics/histogram-series.js';
import { LatencyWindow } from '../../src/coordinator/metrics/latency-window.js';
import { ReplyErrors } from '../../src/coordinator/metrics/reply-errors.js';
import { registerScraped } from '../../src/coordinator/metrics/scraped-metric.js';
import { parsePrometheusText, seriesKey } from '../helpers/prometheus-text.js';

function close(actual: number, expected: number, within: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= expected * within,
    `${what}: ${actual} is not within ${within * 100}% of ${expected}`,
  );
}

test('the latency window reports the last five complete seconds', () => {
  let now = 0;
  const w = new LatencyWindow(() => now);
  // 1000 operations of 1..1000 ms, all ending during second 10.
  for (let i = 1; i <= 1000; i++) w.record(i, 10_000 + i / 2);
  now = 11_500;
  let r = w.recent();
  assert.equal(r.opsPerSec, 1000 / 5);
  close(r.p50Ms, 500, 0.07, 'p50');
  close(r.p99Ms, 990, 0.07, 'p99');
  close(r.p999Ms, 999, 0.07, 'p999');
  assert.equal(r.commandsTotal, 1000);

  // The second being filled is not in the window yet.
  w.record(5000, 11_600);
  r = w.recent();
  assert.equal(r.opsPerSec, 200);
  assert.ok(r.p999Ms < 1100);

  // Five seconds later second 10 has left the window; second 11 is in it.
  now = 16_100;
  r = w.recent();
  assert.equal(r.opsPerSec, 1 / 5);
  close(r.p50Ms, 5000, 0.07, 'p50 of the one late operation');
  now = 17_000;
  r = w.recent();
  assert.deepEqual(r, { opsPerSec: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, commandsTotal: 1001 });
});

test('just after start the window divides by the seconds it has seen', () => {
  let now = 3_000;
  const w = new LatencyWindow(() => now);
  for (let i = 0; i < 30; i++) w.record(0.2, 3_100 + i);
  now = 4_000;
  const r = w.recent();
  assert.equal(r.opsPerSec, 30);
  close(r.p50Ms, 0.2, 0.07, 'sub-millisecond p50');
});

test('the window survives idle gaps longer than itself', () => {
  let now = 0;
  const w = new LatencyWindow(() => now);
  w.record(1, 1_000);
  w.record(1, 100_000);
  now = 101_000;
  assert.equal(w.recent().opsPerSec, 1 / 5);
});

async function scrape(r: Registry): Promise<Map<string, number>> {
  return parsePrometheusText(await r.metrics()).samples;
}

test('error replies are counted by code word, unknown words as OTHER', async () => {
  const r = new Registry();
  const e = new ReplyErrors(r);
  const replies = [
    '-ERR wrong number of arguments\r\n',
    '-ERR unknown command\r\n',
    '-TRYAGAIN no leader\r\n',
    '-CLUSTERDOWN no majority\r\n',
    '-WHATEVER something\r\n',
    '-ERRX glued\r\n',
    '!21\r\nNOAUTH login first\r\n',
    '+OK\r\n',
    '$5\r\n-ERR \r\n',
    ':1\r\n',
  ];
  for (const reply of replies) e.note(Buffer.from(reply, 'latin1'));
  const s = await scrape(r);
  const count = (kind: string): number | undefined =>
    s.get(seriesKey('distdb_command_errors_total', { kind }));
  assert.equal(count('ERR'), 2);
  assert.equal(count('TRYAGAIN'), 1);
  assert.equal(count('CLUSTERDOWN'), 1);
  assert.equal(count('NOAUTH'), 1);
  assert.equal(count('OTHER'), 2);
  assert.equal(count('WRONGTYPE'), 0);
});

test('a histogram series exports cumulative buckets, sum and count', async () => {
  const r = new Registry();
  const h = new HistogramSeries(LATENCY_BUCKETS, { op: 'x' });
  h.observe(0.0001); // on a bound: counted in that bucket (le is inclusive)
  h.observe(0.3);
  h.observe(20); // above every bound
  registerScraped(r, {
    name: 'test_seconds',
    help: 'a test',
    type: 'histogram',
    values: () => h.values('test_seconds'),
  });
  const s = await scrape(r);
  const bucket = (le: string): number | undefined =>
    s.get(seriesKey('test_seconds_bucket', { op: 'x', le }));
  assert.equal(bucket('0.0001'), 1);
  assert.equal(bucket('0.25'), 1);
  assert.equal(bucket('0.5'), 2);
  assert.equal(bucket('10'), 2);
  assert.equal(bucket('+Inf'), 3);
  assert.equal(s.get(seriesKey('test_seconds_count', { op: 'x' })), 3);
  close(s.get(seriesKey('test_seconds_sum', { op: 'x' })) as number, 20.3001, 1e-9, 'sum');
});

test('the strict parser refuses what Prometheus would', () => {
  const ok = '# HELP a x\n# TYPE a counter\na{b="c\\"d"} 1\n';
  assert.equal(parsePrometheusText(ok).samples.get('a{b="c"d"}'), 1);
  for (const bad of [
    'a 1\n', // no TYPE
    '# TYPE a counter\na 1', // no final newline
    '# TYPE a counter\na{b=c} 1\n', // unquoted label
    '# TYPE a counter\na one\n', // not a number
    '# TYPE a counter\na 1\na 2\n', // duplicate series
    '# TYPE a gauge\n# TYPE a gauge\n', // second TYPE
    '# TYPE a counter\na_bucket{le="1"} 1\n', // buckets of a counter
  ]) {
    assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
  }
});
