import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderLease, type Voters } from '../../src/raft/leader-lease.js';

/** A configuration whose voters the test changes in place. */
function config(ids: string[]): Voters & { voters: Set<string> } {
  const voters = new Set(ids);
  return { voters, isVoter: (id) => voters.has(id), quorum: () => Math.floor(voters.size / 2) + 1 };
}

describe('LeaderLease', () => {
  it('runs from when the round a quorum answered was sent, for electionTick - 2 - 10% ticks', () => {
    const lease = new LeaderLease(10);
    const voters = config(['l', 'a', 'b']);
    const round = lease.startRound(100, 'l');
    assert.equal(lease.valid(100), false, 'no quorum answered yet');
    lease.ack(round, 'a', voters);
    assert.equal(lease.duration, 7);
    assert.equal(lease.valid(106), true);
    assert.equal(lease.valid(107), false);
  });

  it('counts only the answers of current voters', () => {
    // Six voters (quorum 4): l and a answer; a is removed (five voters, quorum 3).
    const lease = new LeaderLease(10);
    const voters = config(['l', 'a', 'b', 'c', 'd', 'e']);
    const round = lease.startRound(100, 'l');
    lease.ack(round, 'a', voters);
    voters.voters.delete('a');
    lease.ack(round, 'b', voters);
    assert.equal(lease.valid(101), false, 'l and b are two of the five voters, not three');
    lease.ack(round, 'c', voters);
    assert.equal(lease.valid(101), true);
  });

  it('is off once revoked, until reset', () => {
    const lease = new LeaderLease(10);
    const voters = config(['l', 'a', 'b']);
    lease.revoke();
    lease.ack(lease.startRound(100, 'l'), 'a', voters);
    assert.equal(lease.valid(101), false);
    lease.reset();
    lease.ack(lease.startRound(200, 'l'), 'a', voters);
    assert.equal(lease.valid(201), true);
  });
});
