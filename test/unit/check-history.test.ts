import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytesToValue,
  HistoryError,
  historyFromJSON,
  HistoryRecorder,
} from '../../src/check/history.js';
import { checkLinearizability } from '../../src/check/linearizability.js';

test('the recorder orders events by a counter and records outcomes', () => {
  const rec = new HistoryRecorder();
  const put = rec.invoke('c1', { kind: 'put', key: 'k', value: '1' });
  const get = rec.invoke('c2', { kind: 'get', key: 'k' });
  put.ok();
  get.ok('1');
  const cas = rec.invoke('c1', { kind: 'cas', key: 'k', expected: '1', value: '2' });
  cas.ok(true);
  rec.invoke('c2', { kind: 'put', key: 'k', value: '3' }).timeout();
  rec.invoke('c3', { kind: 'put', key: 'k', value: '4' }).fail();
  rec.invoke('c3', { kind: 'get', key: 'k' }); // still in flight at the end
  const ops = rec.operations();
  assert.deepEqual(
    ops.map((o) => [o.id, o.status, o.invokeTime, o.returnTime]),
    [
      [0, 'ok', 1, 3],
      [1, 'ok', 2, 4],
      [2, 'ok', 5, 6],
      [3, 'unknown', 7, undefined],
      [4, 'fail', 8, 9],
      [5, 'unknown', 10, undefined],
    ],
  );
  assert.equal(ops[1]?.kind === 'get' && ops[1].observed, '1');
  assert.equal(ops[2]?.kind === 'cas' && ops[2].swapped, true);
  assert.equal(checkLinearizability(ops).verdict, 'ok');
});

test('increments are recorded with their step and the value after, and read back', () => {
  const rec = new HistoryRecorder();
  rec.invoke('c1', { kind: 'incr', key: 'n', delta: 1 }).ok(1n);
  rec.invoke('c2', { kind: 'incr', key: 'n', delta: -3 }).timeout();
  rec.invoke('c1', { kind: 'get', key: 'n' }).ok('-2');
  const back = historyFromJSON(JSON.stringify(rec));
  assert.deepEqual(back, rec.operations());
  assert.equal(back[0]?.kind === 'incr' && back[0].result, '1');
  assert.equal(checkLinearizability(back).verdict, 'ok');
  assert.throws(() => rec.invoke('c', { kind: 'incr', key: 'n', delta: 0.5 }), /safe integer/);
  const file = (op: object) => JSON.stringify({ format: 'distdb-history', version: 1, ops: [op] });
  const ok = { id: 0, client: 'c', key: 'k', invokeTime: 1, returnTime: 2, status: 'ok' };
  assert.throws(
    () => historyFromJSON(file({ ...ok, kind: 'incr', delta: 1 })),
    /an ok incr needs result/,
  );
  assert.throws(
    () => historyFromJSON(file({ ...ok, kind: 'incr', delta: '1', result: '1' })),
    /incr delta must be a safe integer/,
  );
});

test('an operation completes once', () => {
  const rec = new HistoryRecorder();
  const h = rec.invoke('c', { kind: 'put', key: 'k', value: 'v' });
  h.timeout();
  assert.throws(() => h.ok(), /operation #0 was already completed/);
});

test('binary keys and values survive JSON exactly', () => {
  const rec = new HistoryRecorder({ now: () => 7 });
  const key = Uint8Array.of(0, 255, 10);
  const value = Uint8Array.of(0xc3, 0x28, 0); // not valid UTF-8
  rec.invoke('c', { kind: 'put', key, value }).ok();
  rec.invoke('c', { kind: 'get', key }).ok(value);
  rec.invoke('c', { kind: 'cas', key, expected: null, value: 'x' }).ok(false);
  const text = JSON.stringify(rec);
  const back = historyFromJSON(text);
  assert.deepEqual(back, rec.operations());
  assert.equal(back[0]?.key, bytesToValue(key));
  assert.equal(back[0]?.kind === 'put' && back[0].value, bytesToValue(value));
  assert.notEqual(bytesToValue(Uint8Array.of(1, 2)), bytesToValue(Uint8Array.of(1, 3)));
  assert.equal(checkLinearizability(back).verdict, 'ok');
});

test('malformed history files get errors that say what is wrong', () => {
  const file = (ops: unknown[]) => JSON.stringify({ format: 'distdb-history', version: 1, ops });
  const ok = { id: 0, client: 'c', key: 'k', invokeTime: 1, returnTime: 2, status: 'ok' };
  assert.throws(() => historyFromJSON('{'), /not valid JSON/);
  assert.throws(() => historyFromJSON('{}'), /not a history file/);
  assert.throws(
    () => historyFromJSON(JSON.stringify({ format: 'distdb-history', version: 2, ops: [] })),
    /unsupported history version 2/,
  );
  assert.throws(() => historyFromJSON(file([{ ...ok, kind: 'get' }])), /an ok get needs observed/);
  assert.throws(
    () => historyFromJSON(file([{ ...ok, kind: 'cas', expected: null, value: 'x' }])),
    /an ok cas needs swapped/,
  );
  assert.throws(
    () => historyFromJSON(file([{ ...ok, kind: 'put', value: 'x', returnTime: 0 }])),
    /returnTime 0 is before invokeTime 1/,
  );
  assert.throws(
    () =>
      historyFromJSON(
        file([{ ...ok, kind: 'put', value: 'x', status: 'fail', returnTime: undefined }]),
      ),
    /a 'fail' operation needs a finite returnTime/,
  );
  assert.throws(() => historyFromJSON(file([{ ...ok, kind: 'inc' }])), HistoryError);
  assert.throws(
    () =>
      historyFromJSON(
        file([
          { ...ok, kind: 'put', value: 'x' },
          { ...ok, kind: 'put', value: 'y' },
        ]),
      ),
    /two operations with id 0/,
  );
});

test('the checker refuses malformed operations with a HistoryError', () => {
  const op = {
    id: 0,
    client: 'c',
    key: 'k',
    kind: 'get',
    invokeTime: 5,
    returnTime: 4,
    status: 'ok',
    observed: null,
  };
  assert.throws(() => checkLinearizability([op as never]), /returnTime 4 is before invokeTime 5/);
});
