// How client errors become history outcomes, and that a failing history is
// saved where the report says.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HistoryRecorder, historyFromJSON } from '../../src/check/history.js';
import { ConnectionError, ReplyError, TimeoutError } from '../../src/index.js';
import { tempDir } from '../helpers/processes.js';
import { judgeHistory, outcomeOfError } from './recorded-client.js';

test('only definite refusals are failures; everything uncertain is unknown', () => {
  assert.equal(outcomeOfError(new ReplyError('ERR wrong number of arguments', 'CAS')), 'fail');
  assert.equal(outcomeOfError(new ReplyError('WRONGTYPE not a string', 'GET')), 'fail');
  assert.equal(outcomeOfError(new ConnectionError('not connected', false)), 'fail');
  assert.equal(outcomeOfError(new ConnectionError('connection lost', true)), 'unknown');
  assert.equal(outcomeOfError(new TimeoutError('no reply', 100)), 'unknown');
  assert.equal(outcomeOfError(new ReplyError('TRYAGAIN no leader known yet', 'SET')), 'unknown');
  assert.equal(
    outcomeOfError(new ReplyError('TRYAGAIN the write may or may not have been applied', 'SET')),
    'unknown',
  );
  assert.equal(outcomeOfError(new ReplyError('CLUSTERDOWN no majority', 'SET')), 'unknown');
  // The node's own word that nothing happened is taken (and checked).
  assert.equal(
    outcomeOfError(
      new ReplyError('TRYAGAIN no leader; the write was not applied; retry it', 'SET'),
    ),
    'fail',
  );
  assert.equal(
    outcomeOfError(
      new ReplyError('CLUSTERDOWN cannot reach a majority; the write was not applied', 'SET'),
    ),
    'fail',
  );
  assert.equal(outcomeOfError(new Error('CAS answered "x"')), 'unknown');
});

test('a non-linearizable history is saved to the named file; a good one is not', () => {
  const dir = tempDir();
  try {
    const good = new HistoryRecorder();
    good.invoke('a', { kind: 'put', key: 'k', value: '1' }).ok();
    good.invoke('b', { kind: 'get', key: 'k' }).ok('1');
    const goodPath = join(dir.path, 'good.json');
    assert.equal(judgeHistory(good, goodPath).result.verdict, 'ok');
    assert.equal(existsSync(goodPath), false);

    const bad = new HistoryRecorder();
    bad.invoke('a', { kind: 'put', key: 'k', value: '1' }).ok();
    bad.invoke('b', { kind: 'get', key: 'k' }).ok(null); // the acknowledged write is lost
    const badPath = join(dir.path, 'bad.json');
    const { result, report } = judgeHistory(bad, badPath);
    assert.equal(result.verdict, 'violation');
    assert.match(report, new RegExp(`history saved: ${badPath}`));
    assert.equal(historyFromJSON(readFileSync(badPath, 'utf8')).length, 2);
  } finally {
    dir.remove();
  }
});
