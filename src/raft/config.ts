import type { RaftConfig } from './types.js';

/** Rejects a configuration the core cannot run safely, with a message a person can act on. */
export function validateConfig(c: RaftConfig): void {
  const fail = (why: string): never => {
    throw new Error(`invalid raft config for node ${JSON.stringify(c.id)}: ${why}`);
  };
  if (typeof c.id !== 'string' || c.id.length === 0) fail('id must be a non-empty string');
  if (!Number.isSafeInteger(c.group) || c.group < 0) fail('group must be a non-negative integer');
  const positive: (keyof RaftConfig)[] = [
    'electionTick',
    'heartbeatTick',
    'maxSizePerMsg',
    'maxInflightMsgs',
    'maxInflightBytes',
    'maxUncommittedEntriesSize',
    'snapshotChunkSize',
  ];
  for (const key of positive) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      fail(`${key} must be a positive integer (got ${String(v)})`);
    }
  }
  const perReady = c.maxCommittedSizePerReady;
  if (perReady !== undefined && (!Number.isSafeInteger(perReady) || perReady <= 0)) {
    fail(`maxCommittedSizePerReady must be a positive integer (got ${String(perReady)})`);
  }
  if (c.heartbeatTick >= c.electionTick) {
    fail(
      `heartbeatTick (${c.heartbeatTick}) must be smaller than electionTick (${c.electionTick}), ` +
        'or followers time out between heartbeats',
    );
  }
  if (c.lazyCommitBroadcast !== undefined && typeof c.lazyCommitBroadcast !== 'boolean') {
    fail(`lazyCommitBroadcast must be true or false (got ${String(c.lazyCommitBroadcast)})`);
  }
  if (c.thriftyReadIndex !== undefined && typeof c.thriftyReadIndex !== 'boolean') {
    fail(`thriftyReadIndex must be true or false (got ${String(c.thriftyReadIndex)})`);
  }
  if (c.keepLeaseAfterStart !== undefined && typeof c.keepLeaseAfterStart !== 'boolean') {
    fail(`keepLeaseAfterStart must be true or false (got ${String(c.keepLeaseAfterStart)})`);
  }
  if (typeof c.random !== 'function') fail('random must be a function returning [0, 1)');
  if (c.readOnlyOption !== 'safe' && c.readOnlyOption !== 'lease') {
    fail(`readOnlyOption must be 'safe' or 'lease' (got ${String(c.readOnlyOption)})`);
  }
  if (c.readOnlyOption === 'lease' && !c.checkQuorum) {
    fail(
      "readOnlyOption 'lease' requires checkQuorum: without it a deposed leader serves stale reads",
    );
  }
  if (!Number.isSafeInteger(c.applied) || c.applied < 0) {
    fail('applied must be a non-negative integer');
  }
}
