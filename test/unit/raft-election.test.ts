import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMessage } from '../../src/raft/message.js';
import { Cluster } from '../helpers/raft-cluster.js';

const ids = ['a', 'b', 'c'];

describe('raft election', () => {
  it('elects a leader that replicates and commits on every node', () => {
    const c = new Cluster(ids);
    c.elect('a');
    assert.deepEqual(c.leaders(), ['a']);
    assert.equal(c.node('a').status().term, 1);
    assert.ok(c.propose('a', 'x').ok);
    c.stabilize();
    for (const id of ids) {
      assert.deepEqual(c.peer(id).state, ['x'], id);
      // The leader's no-op (1) and 'x' (2) are committed everywhere.
      assert.equal(c.node(id).status().commit, 2, id);
      assert.equal(c.node(id).status().leader, 'a', id);
    }
  });

  it('elects a leader through ticks alone, never before the election timeout', () => {
    const c = new Cluster(ids);
    c.tickAll(9);
    assert.deepEqual(c.leaders(), []);
    c.tickAll(30);
    assert.equal(c.leaders().length, 1);
  });

  it('a single voter elects itself and commits alone', () => {
    const c = new Cluster(['a']);
    c.elect('a');
    assert.deepEqual(c.leaders(), ['a']);
    c.propose('a', 'x');
    c.stabilize();
    assert.deepEqual(c.peer('a').state, ['x']);
  });

  it('a candidate with a stale log loses (election restriction)', () => {
    const c = new Cluster(ids);
    c.elect('a');
    c.drop = (m) => m.to === 'c';
    c.propose('a', 'x');
    c.stabilize();
    c.isolate('a');
    c.elect('c');
    assert.notEqual(c.node('c').status().role, 'leader');
    c.elect('b');
    assert.equal(c.node('b').status().role, 'leader');
  });

  it('a candidate refused by a majority gives up at once', () => {
    const c = new Cluster(ids, { preVote: false, checkQuorum: false });
    c.elect('a');
    c.drop = (m) => m.to === 'c';
    c.propose('a', 'x');
    c.stabilize();
    c.heal();
    c.elect('c'); // term 2: a and b both hold a newer log
    assert.deepEqual([c.node('c').status().role, c.node('c').status().term], ['follower', 2]);
  });

  it('grants one vote per term', () => {
    const c = new Cluster(ids, { preVote: false });
    // b and c campaign at once: a votes for whoever asked first.
    c.node('b').campaign();
    c.node('c').campaign();
    c.stabilize();
    const votesFromA = c.delivered.filter((m) => m.from === 'a' && m.type === 'vote-response');
    assert.equal(votesFromA.filter((m) => !m.reject).length, 1);
    assert.ok(c.leaders().length <= 1);
  });

  it('a follower that knows the leader of its term votes for no one else in it', () => {
    const c = new Cluster(ids, { preVote: false, checkQuorum: false });
    c.isolate('c');
    c.elect('a');
    c.heal();
    c.tickAll(1); // c learns term 1 and its leader from a heartbeat, without having voted
    assert.deepEqual([c.node('c').status().vote, c.node('c').status().leader], [null, 'a']);
    c.delivered = [];
    c.deliver(makeMessage({ type: 'vote', to: 'c', logTerm: 1, index: 9 }, 'b', 1, 1));
    c.flush();
    const answer = c.inbox.find((m) => m.type === 'vote-response');
    assert.equal(answer?.reject, true);
  });

  it("a voter behind in terms grants a pre-vote at the candidate's future term", () => {
    const c = new Cluster(ids, { checkQuorum: false });
    c.isolate('c');
    c.elect('a');
    c.elect('b'); // term 2
    c.elect('a'); // term 3
    c.isolate('a');
    assert.equal(c.node('c').status().term, 0);
    // b needs c's pre-vote; c answers at term 4, which b counts.
    c.elect('b');
    assert.equal(c.node('b').status().role, 'leader');
    assert.equal(c.node('b').status().term, 4);
  });

  it('pre-vote keeps a partitioned node from inflating its term and disrupting the leader', () => {
    const c = new Cluster(ids);
    c.elect('a');
    c.isolate('c');
    c.tickAll(100);
    assert.equal(c.node('c').status().term, 1, 'pre-vote never raised the term');
    assert.equal(c.node('c').status().role, 'pre-candidate');
    c.heal();
    c.tickAll(5);
    assert.deepEqual(c.leaders(), ['a']);
    assert.equal(c.node('a').status().term, 1);
    assert.equal(c.node('c').status().leader, 'a');
  });

  it('without pre-vote the same partition inflates the term and deposes the leader', () => {
    const c = new Cluster(ids, { preVote: false });
    c.elect('a');
    c.isolate('c');
    c.tickAll(100);
    assert.ok(c.node('c').status().term > 3);
    c.heal();
    c.tickAll(40);
    assert.ok(c.node('a').status().term > 1);
  });

  it('check-quorum: a leader that hears from no majority steps down', () => {
    const c = new Cluster(ids);
    c.elect('a');
    c.isolate('a');
    c.tickAll(10);
    assert.equal(c.node('a').status().role, 'leader', 'still inside the first round');
    c.tickAll(11);
    assert.equal(c.node('a').status().role, 'follower');
  });

  it('without check-quorum an isolated leader keeps believing it leads', () => {
    const c = new Cluster(ids, { checkQuorum: false });
    c.elect('a');
    c.isolate('a');
    c.tickAll(25);
    assert.equal(c.node('a').status().role, 'leader');
  });

  it('check-quorum lease: followers ignore a vote request while their leader is alive', () => {
    const c = new Cluster(ids, { preVote: false });
    c.elect('a');
    // b forces an election: a and c heard from a just now and ignore it.
    c.node('b').campaign();
    c.stabilize();
    assert.equal(c.node('a').status().role, 'leader');
    assert.equal(c.node('c').status().vote, 'a');
    assert.equal(c.node('c').status().term, 1);
  });

  it('a stale leader learns the new term from a follower and steps down', () => {
    const c = new Cluster(ids);
    c.elect('a');
    c.isolate('a');
    c.tickAll(40);
    const [leader] = c.leaders().filter((id) => id !== 'a');
    assert.ok(leader !== undefined);
    c.heal();
    c.tickAll(3);
    assert.deepEqual(c.leaders(), [leader]);
    assert.equal(c.node('a').status().leader, leader);
  });

  it('learners neither campaign nor count toward a quorum', () => {
    const c = new Cluster(['a', 'b'], {}, ['l']);
    c.tick('l', 100);
    c.stabilize();
    assert.equal(c.node('l').status().role, 'follower');
    c.elect('a');
    c.isolate('b');
    c.propose('a', 'x');
    c.stabilize();
    // The learner has it, but without b it is not committed.
    assert.deepEqual(c.peer('a').state, []);
    assert.equal(c.node('l').status().lastIndex, 2);
  });

  it('a restarted node keeps its term and vote', () => {
    const c = new Cluster(ids);
    c.elect('a');
    c.peer('b').restart();
    const st = c.node('b').status();
    assert.equal(st.term, 1);
    assert.equal(st.vote, 'a');
    c.tickAll(3);
    assert.equal(c.node('b').status().leader, 'a');
  });
});
