import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../../src/coordinator/auth/password-hash.js';
import { requirePassUser } from '../../src/coordinator/auth/authenticator.js';
import {
  loadUsersFile,
  mergeUsers,
  parseUsers,
  UsersConfigError,
} from '../../src/coordinator/auth/users-file.js';
import { tempDir } from '../helpers/processes.js';

const HASH = hashPassword('pw', { n: 1024, r: 8, p: 1 });

const doc = (users: unknown): string => JSON.stringify({ users });

test('a users file gives each user its permission and optional key prefix', () => {
  const users = parseUsers(
    doc([
      { name: 'app', permission: 'readwrite', keyPrefix: 'app:', passwordHash: HASH },
      { name: 'viewer', permission: 'read', passwordHash: HASH },
    ]),
    'users.json',
  );
  assert.deepEqual(
    users.map((u) => u.principal),
    [
      { user: 'app', permission: 'readwrite', keyPrefix: 'app:' },
      { user: 'viewer', permission: 'read', keyPrefix: null },
    ],
  );
});

test('mistakes in a users file are refused with the file, the entry and what to fix', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /users\.json is not valid JSON/],
    ['[]', /must be \{"users"/],
    [doc([]), /at least one user/],
    [doc(['x']), /user 1: must be an object/],
    [doc([{ name: 'a b', permission: 'read', passwordHash: HASH }]), /user 1 \("a b"\): "name"/],
    [
      doc([{ name: 'a', permission: 'admin', passwordHash: HASH }]),
      /"permission" must be "read" or "readwrite"/,
    ],
    [doc([{ name: 'a', permission: 'read', password: 'plain' }]), /unknown field "password"/],
    [
      doc([{ name: 'a', permission: 'read' }]),
      /"passwordHash" is missing \(make one with: distdb hash-password\)/,
    ],
    [
      doc([{ name: 'a', permission: 'read', passwordHash: 'plain' }]),
      /"passwordHash": a password hash must look like/,
    ],
    [
      doc([{ name: 'a', permission: 'read', keyPrefix: '', passwordHash: HASH }]),
      /"keyPrefix" must be a non-empty string/,
    ],
    [
      doc([
        { name: 'a', permission: 'read', passwordHash: HASH },
        { name: 'a', permission: 'read', passwordHash: HASH },
      ]),
      /user 2 \("a"\): the name is used twice/,
    ],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseUsers(text, 'users.json'),
      (err: Error) => {
        assert.ok(err instanceof UsersConfigError);
        assert.match(err.message, re);
        assert.ok(!err.message.includes('plain'), 'never echoes a password');
        return true;
      },
    );
  }
});

test('loadUsersFile reads the file, and says so when it cannot', () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'users.json');
    writeFileSync(path, doc([{ name: 'a', permission: 'read', passwordHash: HASH }]));
    assert.equal(loadUsersFile(path)[0]?.principal.user, 'a');
    assert.throws(
      () => loadUsersFile(join(dir.path, 'missing.json')),
      /cannot read the users file .*ENOENT/,
    );
  } finally {
    dir.remove();
  }
});

test('--requirepass and a users file combine, unless both define the default user', () => {
  const file = parseUsers(doc([{ name: 'a', permission: 'read', passwordHash: HASH }]), 'f');
  assert.deepEqual(
    mergeUsers(requirePassUser('x'), file).map((u) => u.principal.user),
    ['default', 'a'],
  );
  const withDefault = parseUsers(
    doc([{ name: 'default', permission: 'read', passwordHash: HASH }]),
    'f',
  );
  assert.throws(() => mergeUsers(requirePassUser('x'), withDefault), /keep one of them/);
  assert.equal(mergeUsers(null, withDefault).length, 1);
});
