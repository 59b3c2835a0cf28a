// The reloadable authenticator: replacing the users takes effect for the next
// check, forgets remembered passwords, and a check running across a
// replacement is answered by the new users.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parseHash } from '../../src/coordinator/auth/password-hash.js';
import type { UserEntry } from '../../src/coordinator/auth/authenticator.js';
import { ReloadableAuthenticator } from '../../src/coordinator/auth/reloadable-authenticator.js';

const CHEAP = { n: 1024, r: 8, p: 1 };

function user(name: string, password: string): UserEntry {
  return {
    principal: { user: name, permission: 'readwrite', keyPrefix: null },
    hash: parseHash(hashPassword(password, CHEAP)),
  };
}

test('a replacement refuses a removed user and a changed password, also once remembered', async () => {
  const auth = new ReloadableAuthenticator([user('a', 'a-pw'), user('b', 'b-pw')]);
  assert.equal((await auth.verifyAsync('a', 'a-pw'))?.user, 'a'); // now remembered
  assert.equal(auth.verify('b', 'b-pw')?.user, 'b');
  auth.replace([user('b', 'b-new')]);
  assert.equal(auth.required, true);
  assert.equal(await auth.verifyAsync('a', 'a-pw'), null);
  assert.equal(auth.verify('b', 'b-pw'), null);
  assert.equal(await auth.verifyAsync('b', 'b-pw'), null);
  assert.equal((await auth.verifyAsync('b', 'b-new'))?.user, 'b');
});

test('a check in flight when the users are replaced is answered by the new users', async () => {
  const auth = new ReloadableAuthenticator([user('a', 'a-pw')]);
  const inFlight = auth.verifyAsync('a', 'a-pw'); // scrypt runs on the thread pool
  auth.replace([user('b', 'b-pw')]);
  assert.equal(await inFlight, null);
});

test('a node started with users cannot be left without any', () => {
  const auth = new ReloadableAuthenticator([user('a', 'a-pw')]);
  assert.throws(() => auth.replace([]), /cannot be left with none/);
  assert.equal(auth.verify('a', 'a-pw')?.user, 'a');
});

test('a replacement names the users it removed or changed: hash, permission or key prefix', () => {
  const same = user('same', 's-pw');
  const rehashed = user('rehashed', 'r-pw');
  const reader = user('reader', 'p-pw');
  const prefixed = user('prefixed', 'x-pw');
  const auth = new ReloadableAuthenticator([
    same,
    rehashed,
    reader,
    prefixed,
    user('gone', 'g-pw'),
  ]);
  const changed = auth.replace([
    { principal: { ...same.principal }, hash: same.hash }, // an equal entry, read again
    user('rehashed', 'r-pw'), // the same password under a new salt: the node cannot tell
    { principal: { ...reader.principal, permission: 'read' }, hash: reader.hash },
    { principal: { ...prefixed.principal, keyPrefix: 'x:' }, hash: prefixed.hash },
    user('new', 'n-pw'),
  ]);
  assert.deepEqual([...changed].sort(), ['gone', 'prefixed', 'reader', 'rehashed']);
});
