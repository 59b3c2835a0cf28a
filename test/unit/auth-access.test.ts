import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessRefusal, grant, OPEN_ACCESS } from '../../src/coordinator/auth/access.js';
import {
  isLoopback,
  protectedModeActive,
  protectedModeRefuses,
} from '../../src/coordinator/auth/protected-mode.js';
import { COMMAND_TABLE, COMMANDS } from '../../src/coordinator/command-table.js';

const b = (...words: string[]): Buffer[] => words.map((w) => Buffer.from(w));
const spec = (name: string) => COMMAND_TABLE.get(name)!;

const viewer = grant({ user: 'viewer', permission: 'read', keyPrefix: null });
const app = grant({ user: 'app', permission: 'readwrite', keyPrefix: 'app:' });
const appReader = grant({ user: 'appr', permission: 'read', keyPrefix: 'app:' });

test('before AUTH only AUTH, HELLO, PING and QUIT run; every other command gets NOAUTH', () => {
  const allowed = COMMANDS.filter((c) => accessRefusal(null, c, b(c.name, 'k', 'v')) === null);
  assert.deepEqual(allowed.map((c) => c.name).sort(), ['auth', 'hello', 'ping', 'quit']);
  for (const c of COMMANDS) {
    const r = accessRefusal(null, c, b(c.name, 'k', 'v'));
    if (r !== null) assert.match(r, /^NOAUTH Authentication required\. Send AUTH <password>/);
  }
});

test('full access (no password, or a readwrite user without prefix) runs everything', () => {
  for (const c of COMMANDS) {
    assert.equal(accessRefusal(OPEN_ACCESS, c, b(c.name, 'add', 'x')), null, c.name);
  }
});

test('a read user may run every command but the writes, naming the command', () => {
  for (const c of COMMANDS) {
    const r = accessRefusal(viewer, c, b(c.name, 'k', 'v'));
    if (c.flags.includes('write')) {
      assert.equal(
        r,
        `NOPERM User viewer has no permissions to run the '${c.name}' command: the user is read-only`,
      );
    } else {
      assert.equal(r, null, c.name);
    }
  }
  assert.ok(
    ['set', 'put', 'mset', 'del', 'delete', 'cas'].every((n) => spec(n).flags.includes('write')),
  );
});

test('a prefix user may touch only keys under the prefix, in every key position', () => {
  assert.equal(accessRefusal(app, spec('get'), b('get', 'app:1')), null);
  assert.equal(
    accessRefusal(app, spec('set'), b('set', 'app:1', 'outside-value')),
    null,
    'values are not keys',
  );
  assert.equal(
    accessRefusal(app, spec('mset'), b('mset', 'app:1', 'x', 'app:2', 'other:3')),
    null,
    'values are not keys',
  );
  const refused: Array<[string, string[], string]> = [
    ['get', ['get', 'other'], 'other'],
    ['set', ['set', 'ap', 'v'], 'ap'],
    ['mget', ['mget', 'app:1', 'zzz'], 'zzz'],
    ['mset', ['mset', 'app:1', 'v', 'x:2', 'v'], 'x:2'],
    ['del', ['del', 'app:1', 'b'], 'b'],
    ['exists', ['exists', 'q'], 'q'],
    ['cas', ['cas', 'k', 'a', 'b'], 'k'],
  ];
  for (const [name, words, key] of refused) {
    assert.equal(
      accessRefusal(app, spec(name), b(...words)),
      `NOPERM No permissions to access the key '${key}': user app may only use keys starting with 'app:'`,
    );
  }
  assert.match(accessRefusal(app, spec('dbsize'), b('dbsize')) ?? '', /^NOPERM .*'dbsize'/);
  assert.equal(
    accessRefusal(app, spec('scan'), b('scan', '0')),
    null,
    'SCAN is confined by its handler',
  );
  assert.match(accessRefusal(appReader, spec('set'), b('set', 'app:1', 'v')) ?? '', /read-only/);
});

test('CLUSTER ADD/REMOVE/TRANSFER-LEADER and CONFIG RESETSTAT need an admin; STATUS and GET do not', () => {
  for (const who of [viewer, app]) {
    for (const sub of ['ADD', 'remove', 'Transfer-Leader']) {
      assert.match(
        accessRefusal(who, spec('cluster'), b('cluster', sub, 'n4')) ?? '',
        new RegExp(
          `^NOPERM User ${who.principal.user} has no permissions to run the 'cluster\\|${sub.toLowerCase()}' command: it needs a readwrite user without a key prefix`,
        ),
      );
    }
    assert.match(
      accessRefusal(who, spec('config'), b('config', 'resetstat')) ?? '',
      /config\|resetstat/,
    );
    assert.equal(accessRefusal(who, spec('cluster'), b('cluster', 'status')), null);
    assert.equal(accessRefusal(who, spec('config'), b('config', 'get', '*')), null);
  }
});

test('protected mode refuses non-loopback clients only when bound beyond loopback without a password', () => {
  const open = { enabled: true, authRequired: false, bindHost: '0.0.0.0' };
  assert.equal(protectedModeActive(open), true);
  assert.equal(protectedModeRefuses(open, '10.1.2.3'), true);
  assert.equal(protectedModeRefuses(open, '::ffff:192.168.1.9'), true);
  assert.equal(protectedModeRefuses(open, undefined), true);
  for (const local of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
    assert.equal(protectedModeRefuses(open, local), false, local);
  }
  assert.equal(protectedModeRefuses({ ...open, authRequired: true }, '10.1.2.3'), false);
  assert.equal(protectedModeRefuses({ ...open, enabled: false }, '10.1.2.3'), false);
  assert.equal(protectedModeRefuses({ ...open, bindHost: '127.0.0.1' }, '10.1.2.3'), false);
  assert.equal(protectedModeActive({ ...open, bindHost: '::1' }), false);
  assert.equal(isLoopback('128.0.0.1'), false);
  assert.equal(isLoopback('::'), false);
});
