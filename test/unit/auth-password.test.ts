import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_COST,
  formatHash,
  hashPassword,
  matches,
  matchesSync,
  parseHash,
} from '../../src/coordinator/auth/password-hash.js';
import {
  createAuthenticator,
  FULL_ACCESS,
  requirePassUser,
  type UserEntry,
} from '../../src/coordinator/auth/authenticator.js';

const CHEAP = { n: 1024, r: 8, p: 1 };

test('a hash matches its password only, sync and async, and round-trips through its text', async () => {
  const text = hashPassword('correct horse', CHEAP);
  assert.match(text, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!text.includes('correct horse'));
  const h = parseHash(text);
  assert.equal(formatHash(h), text);
  assert.equal(matchesSync('correct horse', h), true);
  assert.equal(matchesSync('correct horsE', h), false);
  assert.equal(matchesSync('', h), false);
  assert.equal(await matches('correct horse', h), true);
  assert.equal(await matches('wrong', h), false);
});

test('every hash has its own salt: the same password hashes differently', () => {
  const a = parseHash(hashPassword('same', CHEAP));
  const b = parseHash(hashPassword('same', CHEAP));
  assert.notDeepEqual(a.salt, b.salt);
  assert.notDeepEqual(a.key, b.key);
});

test('new hashes use the documented default cost', () => {
  const h = parseHash(hashPassword('x'));
  assert.deepEqual({ n: h.n, r: h.r, p: h.p }, DEFAULT_COST);
});

test('malformed or too costly hashes are refused with a reason that does not echo them', () => {
  const good = hashPassword('x', CHEAP).split('$');
  const cases = [
    'plaintext-password',
    'bcrypt$1$2$3$4$5',
    ['scrypt', '1000', ...good.slice(2)].join('$'), // N not a power of two
    ['scrypt', String(2 ** 20), ...good.slice(2)].join('$'), // N too large
    ['scrypt', '1024', '99', ...good.slice(3)].join('$'), // r too large
    [...good.slice(0, 4), '', good[5]].join('$'), // no salt
  ];
  for (const c of cases) {
    assert.throws(
      () => parseHash(c),
      (err: Error) => !err.message.includes(c),
      c,
    );
  }
});

function user(
  name: string,
  password: string,
  permission: 'read' | 'readwrite',
  keyPrefix: string | null,
): UserEntry {
  return {
    principal: { user: name, permission, keyPrefix },
    hash: parseHash(hashPassword(password, CHEAP)),
  };
}

test('an authenticator with users verifies each user against their own password', async () => {
  const auth = createAuthenticator([
    user('app', 'pw-app', 'readwrite', 'app:'),
    user('viewer', 'pw-view', 'read', null),
  ]);
  assert.equal(auth.required, true);
  assert.deepEqual(auth.verify('app', 'pw-app'), {
    user: 'app',
    permission: 'readwrite',
    keyPrefix: 'app:',
  });
  assert.equal(auth.verify('app', 'pw-view'), null, "another user's password");
  assert.equal(auth.verify('nobody', 'pw-app'), null, 'unknown user');
  assert.equal(auth.verify('default', 'pw-app'), null, 'no default user configured');
  assert.equal((await auth.verifyAsync('viewer', 'pw-view'))?.permission, 'read');
  assert.equal(await auth.verifyAsync('viewer', 'x'), null);
  // After a success the fast path (remembered MAC) must still refuse other passwords.
  assert.ok(auth.verify('viewer', 'pw-view'));
  assert.equal(auth.verify('viewer', 'pw-view!'), null);
  assert.equal(await auth.verifyAsync('viewer', 'pw-vie'), null);
});

test('--requirepass makes the default user read-write; no users means nothing is required', () => {
  const auth = createAuthenticator([requirePassUser('s3cret')]);
  assert.equal(auth.required, true);
  assert.deepEqual(auth.verify('default', 's3cret'), FULL_ACCESS);
  assert.equal(auth.verify('default', 's3cre'), null);
  const open = createAuthenticator([]);
  assert.equal(open.required, false);
  assert.deepEqual(open.verify('default', 'anything'), FULL_ACCESS);
  assert.equal(open.verify('alice', 'anything'), null);
});
