import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from '../helpers/raft-cluster.js';

describe('raft log replication', () => {
  it('batches the proposals made between two Ready batches into one append per follower', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.delivered = [];
    for (let i = 0; i < 5; i++) assert.ok(c.propose('a', `v${i}`).ok);
    c.stabilize();
    const appends = c.delivered.filter((m) => m.type === 'append' && m.entries.length > 0);
    assert.equal(appends.length, 2);
    assert.ok(appends.every((m) => m.entries.length === 5));
    assert.deepEqual(c.peer('c').state, ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('refuses proposals on a follower, naming the leader', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.deepEqual(c.propose('b', 'x'), { ok: false, reason: 'not-leader', leader: 'a' });
  });

  it('splits appends by maxSizePerMsg', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxSizePerMsg: 10 });
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 6; i++) c.propose('a', `v00${i}`); // 4 bytes each
    c.stabilize();
    c.heal();
    c.delivered = [];
    c.tickAll(3);
    const toC = c.delivered.filter(
      (m) => m.type === 'append' && m.to === 'c' && m.entries.length > 0,
    );
    assert.ok(toC.length >= 3);
    for (const m of toC) assert.ok(m.entries.length <= 2, `${m.entries.length} entries`);
    assert.equal(c.peer('c').state.length, 6);
  });

  it('refuses a proposal larger than maxSizePerMsg', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxSizePerMsg: 10 });
    c.elect('a');
    assert.deepEqual(c.propose('a', 'x'.repeat(11)), {
      ok: false,
      reason: 'too-large',
      leader: 'a',
    });
  });

  it('pipelines at most maxInflightMsgs appends to a silent follower', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxInflightMsgs: 3 });
    c.elect('a');
    c.drop = (m) => m.from === 'b';
    c.delivered = [];
    for (let i = 0; i < 10; i++) {
      c.propose('a', `v${i}`);
      c.stabilize();
    }
    const toB = c.delivered.filter(
      (m) => m.type === 'append' && m.to === 'b' && m.entries.length > 0,
    );
    assert.equal(toB.length, 3);
    assert.equal(c.node('a').status().progress?.b?.inflight, 3);
    c.heal();
    c.tickAll(3);
    assert.equal(c.peer('b').state.length, 10);
    assert.equal(c.node('a').status().progress?.b?.inflight, 0);
  });

  it('pipelines at most maxInflightBytes of entries to a silent follower', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxInflightBytes: 10 });
    c.elect('a');
    c.drop = (m) => m.from === 'b';
    c.delivered = [];
    for (let i = 0; i < 10; i++) {
      c.propose('a', `v00${i}`);
      c.stabilize();
    }
    const toB = c.delivered.filter(
      (m) => m.type === 'append' && m.to === 'b' && m.entries.length > 0,
    );
    assert.equal(toB.length, 3); // 4 + 4 + 4 bytes: the window is full at ≥ 10
    c.heal();
    c.tickAll(3);
    assert.equal(c.peer('b').state.length, 10);
  });

  it('refuses proposals beyond maxUncommittedEntriesSize until they commit', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxUncommittedEntriesSize: 10 });
    c.elect('a');
    c.drop = (m) => m.from === 'a';
    assert.ok(c.propose('a', 'v001').ok);
    assert.ok(c.propose('a', 'v002').ok);
    assert.deepEqual(c.propose('a', 'v003'), {
      ok: false,
      reason: 'too-many-uncommitted',
      leader: 'a',
    });
    c.stabilize();
    c.heal();
    c.tickAll(2);
    assert.deepEqual(c.peer('a').state, ['v001', 'v002']);
    assert.ok(c.propose('a', 'v003').ok);
  });

  it('one oversized entry is accepted when nothing is uncommitted, so progress never stalls', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxUncommittedEntriesSize: 2 });
    c.elect('a');
    assert.ok(c.propose('a', 'v001').ok);
  });

  it('resolves a long conflicting suffix with few round trips (fast backtracking)', () => {
    const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    c.elect('a');
    // a appends 30 entries that reach nobody.
    c.isolate('a');
    for (let i = 0; i < 30; i++) c.propose('a', `lost${i}`);
    c.stabilize();
    // b leads term 2 with c and commits 30 entries of its own.
    c.elect('b');
    for (let i = 0; i < 30; i++) c.propose('b', `kept${i}`);
    c.stabilize();
    // b is re-elected (term 3), so it first probes a at the end of its log.
    c.peer('b').restart();
    c.elect('b');
    assert.equal(c.node('b').status().progress?.a?.next, 33);
    c.heal();
    c.delivered = [];
    c.tickAll(2);
    const rejects = c.delivered.filter(
      (m) => m.from === 'a' && m.type === 'append-response' && m.reject,
    );
    assert.equal(rejects.length, 1, 'one round trip finds the match at index 1');
    assert.deepEqual(c.peer('a').state, c.peer('b').state);
    assert.equal(c.peer('a').state.length, 30);
    assert.ok(c.peer('a').state.every((s) => s.startsWith('kept')));
    // The replaced suffix was handed out to persist again, not just kept in memory.
    const terms = (id: string) => c.peer(id).entries.map((e) => `${e.index}@${e.term}`);
    assert.deepEqual(terms('a'), terms('b'));
  });

  it('catches up a follower far behind with one probe (reject hint = its last index)', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 40; i++) c.propose('a', `v${i}`);
    c.stabilize();
    c.heal();
    c.delivered = [];
    c.tickAll(2);
    const rejects = c.delivered.filter((m) => m.from === 'c' && m.reject);
    assert.ok(rejects.length <= 1, `${rejects.length} rejections`);
    assert.equal(c.peer('c').state.length, 40);
  });

  it('never commits an entry of an older term by counting replicas (Figure 8)', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const c = new Cluster(ids, { preVote: false, checkQuorum: false });
    const campaignUntilLeader = (id: string): void => {
      for (let i = 0; i < 5 && c.node(id).status().role !== 'leader'; i++) c.elect(id);
      assert.equal(c.node(id).status().role, 'leader', id);
    };
    c.elect('s1');
    // (a) s1 (term 1) replicates index 2 to s2 only, then crashes.
    c.drop = (m) => m.from === 's1' && m.to !== 's2';
    c.propose('s1', 'x2');
    c.stabilize();
    c.peer('s1').restart();
    // (b) s5 wins term 2 with s3, s4 and appends its no-op at index 2, then is cut off.
    c.drop = (m) => m.from === 's1' || m.to === 's1' || (m.from === 's5' && m.type === 'append');
    campaignUntilLeader('s5');
    c.peer('s5').restart();
    // (c) s1 wins a later term; index 2 (term 1) reaches s3, its own no-op (3) reaches nobody.
    c.drop = (m) => {
      m.entries = m.entries.filter((e) => e.index < 3);
      return m.from === 's5' || m.to === 's5';
    };
    campaignUntilLeader('s1');
    assert.equal(c.node('s1').status().progress?.s3?.match, 2);
    // Index 2 sits on a majority (s1, s2, s3) but is from term 1: not committed.
    assert.equal(c.node('s1').status().commit, 1);
    assert.deepEqual(c.peer('s1').state, []);
    // (d) s1 crashes; s5 can win and overwrite index 2 — which is why it was not committed.
    c.drop = (m) => m.from === 's1' || m.to === 's1';
    campaignUntilLeader('s5');
    c.heal();
    c.tickAll(3);
    for (const id of ids) assert.ok(!c.peer(id).state.includes('x2'), id);
    assert.equal(c.node('s1').status().leader, 's5');
  });

  it('an unreachable follower drops back to probing, then catches up', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.equal(c.node('a').status().progress?.b?.state, 'replicate');
    c.node('a').reportUnreachable('b');
    assert.equal(c.node('a').status().progress?.b?.state, 'probe');
    c.propose('a', 'x');
    c.stabilize();
    assert.equal(c.node('a').status().progress?.b?.state, 'replicate');
    assert.deepEqual(c.peer('b').state, ['x']);
  });

  it('hands committed entries to apply in batches of maxCommittedSizePerReady', () => {
    const c = new Cluster(['a'], { maxCommittedSizePerReady: 8 });
    c.elect('a');
    for (let i = 0; i < 6; i++) c.propose('a', `v00${i}`); // 4 bytes each
    const sizes: number[] = [];
    while (c.node('a').hasReady()) {
      const n = c.node('a');
      const rd = n.ready();
      if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
      n.advance();
    }
    assert.deepEqual(sizes, [2, 2, 2]);
  });

  it('a restarted follower resumes from its persisted log', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.peer('c').restart();
    assert.deepEqual(c.peer('c').state, []);
    c.stabilize();
    // Committed entries are applied again after a restart that kept no snapshot.
    c.tickAll(2);
    assert.deepEqual(c.peer('c').state, ['x']);
  });
});
