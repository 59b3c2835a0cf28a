import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Measurement } from '../../bench/compare/measurement.js';
import { formatRoundSpread, medianRounds } from '../../bench/compare/rounds.js';
import { formatReport, formatTargets } from '../../bench/compare/table.js';
import { checkTargets } from '../../bench/compare/targets.js';
import { m } from './bench-compare-fixture.js';

const inRound = (round: number, x: Measurement): Measurement => ({ ...x, round });

test('each series reports its median round, whole: latencies from the same round', () => {
  const all = [
    inRound(1, m('distdb', 'put', 64, 9000, 1, 30)),
    inRound(1, m('etcd', 'put', 64, 2000, 20, 50)),
    inRound(2, m('distdb', 'put', 64, 7000, 2, 20)),
    inRound(2, m('etcd', 'put', 64, 1800, 30, 60)),
    inRound(3, m('distdb', 'put', 64, 8000, 3, 25)),
    inRound(3, m('etcd', 'put', 64, 2200, 25, 55)),
  ];
  const med = medianRounds(all);
  assert.deepEqual(
    med.map((x) => [x.system, x.opsPerSec, x.latencyMs.p99, x.round]),
    [
      ['distdb', 8000, 25, 3],
      ['etcd', 2000, 50, 1],
    ],
  );
});

test('of an even count of rounds, the lower middle one; a single run is itself', () => {
  const two = [inRound(1, m('redis', 'get', 1, 500)), inRound(2, m('redis', 'get', 1, 400))];
  assert.equal(medianRounds(two)[0]!.opsPerSec, 400);
  const one = [m('redis', 'get', 1, 500)];
  assert.deepEqual(medianRounds(one), one);
});

test('series are kept apart by system, workload and client count, in first-seen order', () => {
  const all = [
    inRound(1, m('distdb', 'put', 1, 100)),
    inRound(1, m('distdb', 'put', 64, 6400)),
    inRound(1, m('distdb', 'get', 64, 9000)),
    inRound(2, m('distdb', 'put', 1, 300)),
    inRound(2, m('distdb', 'put', 64, 6000)),
    inRound(2, m('distdb', 'get', 64, 8000)),
    inRound(3, m('distdb', 'put', 1, 200)),
    inRound(3, m('distdb', 'put', 64, 6200)),
    inRound(3, m('distdb', 'get', 64, 10000)),
  ];
  assert.deepEqual(
    medianRounds(all).map((x) => [x.workload, x.clients, x.opsPerSec]),
    [
      ['put', 1, 200],
      ['put', 64, 6200],
      ['get', 64, 9000],
    ],
  );
});

test('the report shows every round of each system, and the targets say they are medians', () => {
  const all = [
    inRound(1, m('distdb', 'put', 64, 7496)),
    inRound(1, m('etcd', 'put', 64, 1739)),
    inRound(2, m('distdb', 'put', 64, 8578)),
    inRound(2, m('etcd', 'put', 64, 2111)),
    inRound(3, m('distdb', 'put', 64, 8001)),
    inRound(3, m('etcd', 'put', 64, 1970)),
  ];
  assert.equal(
    formatRoundSpread(all),
    '  ops/s by round: distdb 7,496 / 8,578 / 8,001; etcd 1,739 / 2,111 / 1,970',
  );
  const med = medianRounds(all);
  const report = formatReport(med, all);
  assert.match(report, /ops\/s by round: distdb 7,496 \/ 8,578 \/ 8,001/);
  assert.match(report, /distdb\/etcd\s+4\.06×/);
  assert.doesNotMatch(formatReport(med), /by round/);
  assert.match(formatTargets(checkTargets(med), 3), /^issue 5's targets \(median of 3 rounds\):/);
  assert.match(formatTargets(checkTargets(med)), /^issue 5's targets \(this run\):/);
});
