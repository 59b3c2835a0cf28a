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
