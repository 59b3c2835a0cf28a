import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerRequestError } from '../../src/peer/index.js';
import { mayHaveTakenEffect } from '../../src/coordinator/replication/attempt-outcome.js';
import {
  NotAppliedError,
  NotLeaderError,
  OutcomeUnknownError,
  ProposalRefusedError,
  ReplicaUnavailableError,
} from '../../src/coordinator/replication/replication-errors.js';

const remote = (text: string): PeerRequestError =>
  new PeerRequestError('remote', `n2 answered with an error: ${text}`);

describe('mayHaveTakenEffect', () => {
  it('is false for attempts that certainly did nothing', () => {
    for (const err of [
      new NotLeaderError('n2'),
      new ProposalRefusedError('transfer-in-progress'),
      new ReplicaUnavailableError('reloading'),
      new NotAppliedError('another entry was committed in its place'),
      new PeerRequestError('unknown-peer', 'no address for n9'),
      new PeerRequestError('unreachable', 'n2 is unreachable'),
      new PeerRequestError('overloaded', 'too many requests in flight'),
      new PeerRequestError('too-large', 'the request is too large'),
      remote('NOTLEADER the leader is n3'),
      remote('REFUSED conf-change-in-progress'),
      remote('NOTAPPLIED not applied'),
    ]) {
      assert.equal(mayHaveTakenEffect(err), false, err.message);
    }
  });

  it('is true when the attempt was sent and its outcome is unknown', () => {
    for (const err of [
      new OutcomeUnknownError('leadership moved'),
      new PeerRequestError('timeout', 'no answer within 5000 ms'),
      new PeerRequestError('connection-lost', 'the connection to n2 broke'),
      remote('UNKNOWN the outcome is unknown'),
      new Error('something unexpected'),
    ]) {
      assert.equal(mayHaveTakenEffect(err), true, err.message);
    }
  });
});
