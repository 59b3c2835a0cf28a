import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterOptions } from '../../src/cli/cluster-options.js';
import { ConfigError } from '../../src/cli/config.js';

const joining = { id: 'n4', join: '127.0.0.1:7479' };
const loginOf = (flags: Record<string, string>): unknown =>
  clusterOptions(flags, '127.0.0.1', 7382).joinLogin;

describe('cluster options: the login a join carries', () => {
  it("is the node's own --requirepass as the default user, unless --join-password is given", () => {
    assert.deepEqual(loginOf({ ...joining, requirepass: 'pw' }), {
      user: 'default',
      password: 'pw',
    });
    assert.deepEqual(loginOf({ ...joining, requirepass: 'pw', joinPassword: 'other' }), {
      user: 'default',
      password: 'other',
    });
  });

  it('is --join-user with --join-password, never with the node password', () => {
    assert.deepEqual(loginOf({ ...joining, joinUser: 'ops', joinPassword: 'x' }), {
      user: 'ops',
      password: 'x',
    });
    assert.throws(
      () => loginOf({ ...joining, joinUser: 'ops', requirepass: 'pw' }),
      (err: unknown) =>
        err instanceof ConfigError && /--join-user ops needs --join-password/.test(err.message),
    );
  });

  it('is none without a password, or without --join', () => {
    assert.equal(loginOf(joining), null);
    assert.equal(loginOf({ id: 'n1', requirepass: 'pw', joinPassword: 'x' }), null);
    assert.throws(() => loginOf({ ...joining, joinPassword: '' }), ConfigError);
  });
});

describe('cluster options: --lazy-follower-ms', () => {
  const lazyOf = (flags: Record<string, string>): number =>
    clusterOptions({ id: 'n1', ...flags }, '127.0.0.1', 7382).settings.lazyFollowerMs;

  it('is 15 ms by default, and takes 0 (off) to 100', () => {
    assert.equal(lazyOf({}), 15);
    assert.equal(lazyOf({ lazyFollowerMs: '0' }), 0);
    assert.equal(lazyOf({ lazyFollowerMs: '100' }), 100);
  });

  it('refuses anything else with a sentence naming the flag and the range', () => {
    for (const bad of ['101', '-1', '1.5', 'soon', '15ms']) {
      assert.throws(
        () => lazyOf({ lazyFollowerMs: bad }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message ===
            `--lazy-follower-ms (RAFT_LAZY_FOLLOWER_MS) must be a whole number of ms from 0 to 100, got "${bad}"`,
        bad,
      );
    }
  });
});

describe('cluster options: --read-lease', () => {
  const leaseOf = (flags: Record<string, string | boolean>, env?: string): boolean => {
    const saved = process.env['RAFT_READ_LEASE'];
    if (env === undefined) delete process.env['RAFT_READ_LEASE'];
    else process.env['RAFT_READ_LEASE'] = env;
    try {
      return clusterOptions({ id: 'n1', ...flags } as Record<string, string>, '127.0.0.1', 7382)
        .settings.readLease;
    } finally {
      if (saved === undefined) delete process.env['RAFT_READ_LEASE'];
      else process.env['RAFT_READ_LEASE'] = saved;
    }
  };

  it('is off by default, on with the flag or RAFT_READ_LEASE=1', () => {
    assert.equal(leaseOf({}), false);
    assert.equal(leaseOf({ readLease: true }), true);
    assert.equal(leaseOf({}, '1'), true);
    assert.equal(leaseOf({}, 'no'), false);
  });

  it('refuses an environment value that is not yes or no', () => {
    assert.throws(
      () => leaseOf({}, 'maybe'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === '--read-lease (RAFT_READ_LEASE) must be 1 or 0 (true/false), got "maybe"',
    );
  });
});
