import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMessage, type MessageFields } from '../../src/raft/message.js';
import { Raft } from '../../src/raft/raft.js';
import { RawNode } from '../../src/raft/raw-node.js';
import { RaftInvariantError, type Message, type PersistedState } from '../../src/raft/types.js';
import { Cluster, testConfig } from '../helpers/raft-cluster.js';

const fresh = (voters = ['a', 'b', 'c']): PersistedState => ({
  hardState: { term: 0, vote: null, commit: 0 },
  snapshot: null,
  entries: [],
  initialConf: { voters, learners: [] },
});

/** A message as a peer would send it: the shared builder, with the sender fields spelled out. */
const msg = (fields: MessageFields & Pick<Message, 'from' | 'term'>): Message =>
  makeMessage(fields, fields.from, 1, fields.term);

function invariantError(fn: () => void, pattern: RegExp): RaftInvariantError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RaftInvariantError, `not an invariant error: ${String(err)}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail('no invariant error');
}

describe('raft invariants throw at once, with the state', () => {
  it('a follower never truncates committed entries', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    // A (bogus) leader of a later term rewrites index 2, which b has committed.
    const err = invariantError(
      () =>
        c.node('b').step(
          msg({
            type: 'append',
            from: 'c',
            to: 'b',
            term: 5,
            index: 1,
            logTerm: 1,
            entries: [{ term: 5, index: 2, type: 'normal', data: new Uint8Array() }],
          }),
        ),
      /truncating committed entries/,
    );
    assert.equal((err.state as { committed: number }).committed, 2);
  });

  it('two leaders in one term', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    invariantError(
      () => c.node('a').step(msg({ type: 'heartbeat', from: 'b', to: 'a', term: 1 })),
      /two leaders in one term/,
    );
  });

  it('commit beyond the last index', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    invariantError(
      () => c.node('b').step(msg({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 9 })),
      /commit beyond the last index/,
    );
  });

  it('appended entries must be contiguous', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    const e = (index: number) => ({
      term: 1,
      index,
      type: 'normal' as const,
      data: new Uint8Array(),
    });
    invariantError(
      () =>
        c.node('b').step(
          msg({
            type: 'append',
            from: 'a',
            to: 'b',
            term: 1,
            index: 1,
            logTerm: 1,
            entries: [e(2), e(4)],
          }),
        ),
      /not contiguous/,
    );
  });

  it('a vote never changes within a term; a term never decreases', () => {
    const r = new Raft(testConfig('a'), fresh());
    r.becomeFollower(3, null);
    r.setVote('b');
    r.setVote('b');
    invariantError(() => r.setVote('c'), /vote changed within a term/);
    invariantError(() => r.becomeFollower(2, null), /term decreased/);
  });
});

describe('raft input validation', () => {
  it('names the bad configuration field', () => {
    const make = (o: Parameters<typeof testConfig>[1]) => () =>
      new RawNode(testConfig('a', o), fresh());
    assert.throws(
      make({ heartbeatTick: 10, electionTick: 10 }),
      /heartbeatTick \(10\) must be smaller/,
    );
    assert.throws(make({ maxInflightMsgs: 0 }), /maxInflightMsgs must be a positive integer/);
    assert.throws(make({ snapshotChunkSize: 1.5 }), /snapshotChunkSize must be a positive integer/);
    assert.throws(make({ id: '' }), /id must be a non-empty string/);
    assert.throws(make({ maxCommittedSizePerReady: 0 }), /maxCommittedSizePerReady must be/);
    assert.throws(make({ group: -1 }), /group must be a non-negative integer/);
    assert.throws(make({ applied: -1 }), /applied must be a non-negative integer/);
    assert.throws(make({ random: 3 as unknown as () => number }), /random must be a function/);
    assert.throws(make({ readOnlyOption: 'fast' as 'safe' }), /readOnlyOption must be/);
    assert.throws(make({ thriftyReadIndex: 1 as unknown as boolean }), /thriftyReadIndex must be/);
  });

  it('names what is wrong with a persisted state', () => {
    const e = (index: number, term = 1) => ({
      term,
      index,
      type: 'normal' as const,
      data: new Uint8Array(),
    });
    const boot =
      (p: Partial<PersistedState>, applied = 0) =>
      () =>
        new RawNode(testConfig('a', { applied }), { ...fresh(), ...p });
    assert.throws(boot({ entries: [e(1), e(3)] }), /entry index 3 where 2 was expected/);
    assert.throws(
      boot({ entries: [e(1, 2), e(2, 1)], hardState: { term: 2, vote: null, commit: 0 } }),
      /below its predecessor/,
    );
    assert.throws(
      boot({ hardState: { term: 1, vote: null, commit: 4 }, entries: [e(1)] }),
      /commit 4 outside the log/,
    );
    assert.throws(
      boot({ hardState: { term: 1, vote: null, commit: 1 }, entries: [e(1)] }, 2),
      /applied 2 outside/,
    );
    assert.throws(boot({ entries: [e(1, 3)] }), /last log term 3 above hard state term 0/);
  });

  it('refuses messages for another group or node, and misuse of Ready', () => {
    const n = new RawNode(testConfig('a'), fresh(['a']));
    assert.throws(
      () => n.step(msg({ type: 'heartbeat', from: 'b', to: 'a', term: 1, group: 2 })),
      /group 2/,
    );
    assert.throws(
      () => n.step(msg({ type: 'heartbeat', from: 'b', to: 'z', term: 1 })),
      /message for z/,
    );
    assert.throws(() => n.advance(), /without an outstanding Ready/);
    n.campaign();
    n.ready();
    assert.equal(n.hasReady(), false);
    assert.throws(() => n.ready(), /before advance/);
  });
});

describe('raft edge cases', () => {
  const ccIndex = 2; // after the leader's no-op

  it('a stale append below the commit index is answered with the commit index, not a rejection', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    for (let i = 0; i < 3; i++) c.propose('a', `v${i}`);
    c.stabilize();
    c.deliver(msg({ type: 'append', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0 }));
    c.flush();
    const answer = c.inbox.find((m) => m.type === 'append-response');
    assert.deepEqual([answer?.reject, answer?.index], [false, 4]);
  });

  it('a complete snapshot of entries the follower already holds only advances its commit', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    // b gets the entries but never hears that they are committed.
    c.drop = (m) => m.to === 'b' && m.from === 'a' && m.commit > 1;
    for (let i = 0; i < 5; i++) c.propose('a', `v${i}`);
    c.stabilize();
    assert.deepEqual([c.node('b').status().lastIndex, c.node('b').status().commit], [6, 1]);
    const metadata = { index: 3, term: 1, conf: { voters: ['a', 'b', 'c'], learners: [] } };
    c.deliver(
      msg({
        type: 'snapshot',
        from: 'a',
        to: 'b',
        term: 1,
        snapshot: { metadata, offset: 0, total: 1, data: new Uint8Array([1]) },
      }),
    );
    const st = c.node('b').status();
    assert.deepEqual([st.lastIndex, st.commit], [6, 3], 'kept its log, learned commit 3');
  });

  it('a node with a committed but unapplied membership change does not campaign', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.drop = (m) => m.from === 'a' && m.to === 'b' && m.commit >= ccIndex;
    const proposed = c
      .node('a')
      .proposeConfChange({ type: 'add-learner', node: 'd', context: new Uint8Array() });
    assert.deepEqual(proposed, { ok: true, index: ccIndex, term: 1 });
    c.stabilize();
    // b learns the commit but has not applied it (its Ready is not handled).
    c.node('b').step(msg({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: ccIndex }));
    c.node('b').campaign();
    assert.equal(c.node('b').status().role, 'follower');
    c.heal();
    c.stabilize();
    c.node('b').campaign();
    assert.notEqual(c.node('b').status().role, 'follower');
  });
});
