// Each safety check of the monitor, shown to say no on a hand-made history.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeProposal } from '../../src/kv/codec.js';
import type { Entry } from '../../src/raft/types.js';
import { FakeDisk } from '../../src/sim/disk.js';
import { KvState, hashImage } from '../../src/sim/kv-image.js';
import { SafetyMonitor, SafetyViolation, type LeaderView } from '../../src/sim/safety-monitor.js';

const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };

function put(index: number, term: number, value: string): Entry {
  const data = encodeProposal({
    session: { clientId: 'c', seq: index },
    command: { op: 'put', key: Buffer.from('k'), value: Buffer.from(value) },
  });
  return { index, term, type: 'normal', data };
}

function logOf(...entries: Entry[]): FakeDisk {
  const d = new FakeDisk(conf);
  if (entries.length > 0)
    d.write({ hardState: null, entries, incomingSnapshot: [], snapshot: null });
  return d;
}

function violation(fn: () => void, property: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SafetyViolation && e.property === property);
}

test('two leaders in one term break election safety', () => {
  const m = new SafetyMonitor(() => []);
  m.onLeader('n1', 2, logOf());
  m.onLeader('n1', 2, logOf()); // the same leader again is fine
  violation(() => m.onLeader('n2', 2, logOf()), 'election safety');
});

test('the same index and term with other data, or another previous term, breaks log matching', () => {
  const m = new SafetyMonitor(() => []);
  const a = [put(1, 1, 'x'), put(2, 1, 'y')];
  m.onAppend('n1', a, logOf(...a));
  violation(() => {
    const b = [put(1, 1, 'x'), put(2, 1, 'z')];
    m.onAppend('n2', b, logOf(...b));
  }, 'log matching');
  violation(() => {
    const c = [put(1, 2, 'x'), put(2, 1, 'y')];
    m.onAppend('n3', c, logOf(...c));
  }, 'log matching');
});

test('a leader without an entry committed in an earlier term breaks leader completeness', () => {
  const leaders: LeaderView[] = [];
  const m = new SafetyMonitor(() => leaders);
  const committedLog = logOf(put(1, 1, 'x'), put(2, 1, 'y'));
  m.onLeaderCommit('n1', 1, 2, committedLog);
  m.onLeader('n2', 2, logOf(put(1, 1, 'x'), put(2, 1, 'y'), put(3, 2, '')));
  violation(() => m.onLeader('n3', 3, logOf(put(1, 1, 'x'))), 'leader completeness');
  // A leader elected earlier is checked when the commit becomes known.
  leaders.push({ id: 'n3', term: 4, log: logOf(put(1, 1, 'x'), put(2, 1, 'y'), put(3, 4, 'w')) });
  violation(
    () => m.onLeaderCommit('n1', 3, 3, logOf(put(1, 1, 'x'), put(2, 1, 'y'), put(3, 3, 'v'))),
    'leader completeness',
  );
});

test('two nodes applying different entries at an index break state machine safety', () => {
  const m = new SafetyMonitor(() => []);
  m.onApplyEntry('n1', put(1, 1, 'x'));
  m.onApplyEntry('n2', put(1, 1, 'x'));
  violation(() => m.onApplyEntry('n3', put(1, 2, 'y')), 'state machine safety');
  violation(() => m.onApplyEntry('n3', put(3, 1, 'z')), 'state machine safety'); // a gap
});

test('a node whose state differs from the replay of the committed log breaks applied state', () => {
  const m = new SafetyMonitor(() => []);
  const e = put(1, 1, 'x');
  m.onApplyEntry('n1', e);
  const good = new KvState();
  good.apply(
    {
      session: { clientId: 'c', seq: 1 },
      command: { op: 'put', key: Buffer.from('k'), value: Buffer.from('x') },
    },
    1,
  );
  m.onApplied('n1', 1, hashImage(good.image()));
  violation(() => m.onApplied('n2', 1, hashImage(new KvState().image())), 'applied state');
  assert.ok(m.appliedWrites.has('c:1'));
});

test('a state image survives an encode/decode round trip, sessions included', () => {
  const s = new KvState();
  s.apply(
    {
      session: { clientId: 'a', seq: 1 },
      command: { op: 'put', key: Buffer.from('k'), value: Buffer.from('v') },
    },
    1,
  );
  s.apply(
    {
      command: {
        op: 'cas',
        key: Buffer.from('k'),
        expected: Buffer.from('v'),
        value: Buffer.from('w'),
      },
    },
    2,
  );
  const copy = KvState.fromImage(s.image());
  assert.deepEqual(Buffer.from(copy.image()), Buffer.from(s.image()));
  assert.equal(Buffer.from(copy.get(Buffer.from('k')) ?? []).toString(), 'w');
  // The session remembers seq 1: a retry is answered, not applied again.
  const retry = copy.apply(
    {
      session: { clientId: 'a', seq: 1 },
      command: { op: 'put', key: Buffer.from('k'), value: Buffer.from('v') },
    },
    3,
  );
  assert.equal(retry.op, 'put');
  assert.equal(Buffer.from(copy.get(Buffer.from('k')) ?? []).toString(), 'w');
});
