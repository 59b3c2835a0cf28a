import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTargets, ratio, TARGETS } from '../../bench/compare/targets.js';
import { m } from './bench-compare-fixture.js';

test('every target is met when distdb clears each bar exactly', () => {
  const checks = checkTargets([
    m('etcd', 'put', 64, 1000, 20, 50),
    m('distdb', 'put', 64, 5000, 10, 50),
    m('redis', 'put', 64, 16_000),
    m('etcd', 'get', 64, 1000),
    m('distdb', 'get', 64, 10_000),
    m('redis', 'get', 64, 20_000),
    m('etcd', 'put', 1, 900, 1.0),
    m('distdb', 'put', 1, 900, 1.0),
  ]);
  assert.equal(checks.length, TARGETS.length);
  assert.deepEqual(
    checks.map((c) => c.status),
    ['met', 'met', 'met', 'met', 'met'],
  );
  assert.match(
    checks[0]!.detail,
    /ops\/s 5,000 vs 1,000 = 5\.00× \(need ≥ 5×\); p99 50\.0 vs 50\.0 ms/,
  );
});

test('a target is not met when either half fails, and the numbers say why', () => {
  const checks = checkTargets([
    m('etcd', 'put', 64, 1000, 20, 50),
    m('distdb', 'put', 64, 6000, 10, 51), // ops fine, p99 worse
    m('redis', 'put', 64, 30_000),
    m('etcd', 'get', 64, 1000),
    m('distdb', 'get', 64, 9_999),
    m('etcd', 'put', 1, 900, 1.0),
    m('distdb', 'put', 1, 900, 1.01),
  ]);
  const by = new Map(checks.map((c) => [c.target, c]));
  assert.equal(by.get(TARGETS[0]!.target)?.status, 'not met');
  assert.match(by.get(TARGETS[0]!.target)!.detail, /p99 51\.0 vs 50\.0 ms/);
  assert.equal(by.get(TARGETS[1]!.target)?.status, 'not met');
  assert.equal(by.get(TARGETS[2]!.target)?.status, 'not met');
  assert.match(by.get(TARGETS[2]!.target)!.detail, /p50 1\.01 vs 1\.00 ms/);
  assert.equal(by.get(TARGETS[3]!.target)?.status, 'not met');
  assert.match(by.get(TARGETS[3]!.target)!.detail, /0\.20×/);
  // No Redis get run at all.
  assert.equal(by.get(TARGETS[4]!.target)?.status, 'not measured');
  assert.match(by.get(TARGETS[4]!.target)!.detail, /no redis run of get with 64 clients/);
});

test('a system that did nothing cannot be beaten by a ratio', () => {
  assert.equal(ratio(10, 0), null);
  assert.equal(ratio(10, 4), 2.5);
  const [first] = checkTargets([m('etcd', 'put', 64, 0), m('distdb', 'put', 64, 10)]);
  assert.equal(first?.status, 'not met');
  assert.match(first!.detail, /= n\/a/);
});
