// A 3-node cluster whose nodes share a password and a users file: the harness
// and the CLI authenticate, writes through followers are forwarded to the
// leader (peer traffic is not a client connection), and clients without
// credentials are refused on every node.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, connect, PermissionError } from '../../src/client/index.js';
import { hashPassword } from '../../src/coordinator/auth/password-hash.js';
import { startDistdb, tempDir } from '../helpers/processes.js';
import { TestCluster } from './cluster-support.js';
import { runDistdb } from './node-helpers.js';

const PASSWORD = 'cluster-Pw-5e21';
const APP_PW = 'cluster-app-Pw-0b7c';
const dir = tempDir('distdb-auth-cluster-');
let cluster: TestCluster;

before(async () => {
  const usersFile = join(dir.path, 'users.json');
  writeFileSync(
    usersFile,
    JSON.stringify({
      users: [
        {
          name: 'app',
          permission: 'readwrite',
          keyPrefix: 'app:',
          passwordHash: hashPassword(APP_PW),
        },
      ],
    }),
  );
  cluster = await TestCluster.start(3, ['--requirepass', PASSWORD, '--users-file', usersFile], {
    password: PASSWORD,
  });
});

after(async () => {
  await cluster?.stop();
  dir.remove();
});

test('writes through followers are forwarded and read back on every node, for each user', async () => {
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.filter((n) => n.id !== leader);
  const admins = await Promise.all(cluster.nodes.map((n) => cluster.client(n)));
  for (const [i, f] of followers.entries()) {
    const app = await connect({ port: f.port, user: 'app', password: APP_PW });
    try {
      await app.set(`app:${i}`, `via-${f.id}`);
      assert.equal(await app.command('CAS', `app:${i}`, `via-${f.id}`, `cas-${f.id}`), 1);
      await assert.rejects(app.set('other', 'x'), PermissionError);
    } finally {
      await app.close();
    }
    for (const a of admins) assert.equal(await a.getString(`app:${i}`), `cas-${f.id}`);
  }
  assert.equal(await admins[0]!.get('other'), null);
});

test('every node refuses a client without credentials, and one with a wrong password', async () => {
  for (const n of cluster.nodes) {
    const anon = await connect({ port: n.port, reconnect: false });
    try {
      await assert.rejects(
        anon.set('k', 'v'),
        (err: unknown) => err instanceof AuthError && err.code === 'NOAUTH',
      );
    } finally {
      await anon.close();
    }
    await assert.rejects(connect({ port: n.port, password: 'wrong', reconnect: false }), AuthError);
  }
});

test('distdb cluster status and distdb client take the password from the environment', async () => {
  const port = String(cluster.nodes[1]!.port);
  const env = { DISTDB_PASSWORD: PASSWORD };
  const status = await runDistdb(['cluster', 'status', '--port', port], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /n1 .*\n.*n2 .*\n.*n3 /s);
  const refused = await runDistdb(['cluster', 'status', '--port', port], {
    env: { DISTDB_PASSWORD: '' },
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /NOAUTH Authentication required/);
  const put = await runDistdb(['client', '--port', port, '--user', 'app', 'SET', 'app:cli', 'v'], {
    env: { DISTDB_PASSWORD: APP_PW },
  });
  assert.equal(put.code, 0, put.stderr);
  const wrong = await runDistdb(['client', '--port', port, '-a', 'nope', 'GET', 'app:cli']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /WRONGPASS .*\n.*--user\/--password, or DISTDB_USER\/DISTDB_PASSWORD/);
});

test('a node joins only with an admin login: the cluster password, not none, a wrong one or a prefixed user', async () => {
  const leader = cluster.node(await cluster.waitForLeader());
  const joinAt = `127.0.0.1:${leader.peerPort}`;
  const admin = await cluster.client(leader);
  const members = async (): Promise<string[]> =>
    (await cluster.status(leader)).members.map((m) => m.id);

  // Started like the others (--requirepass): that password logs it in as default.
  const n4 = await cluster.addNodeSpec('n4');
  await cluster.run(n4, ['--join', joinAt]);
  for (let i = 0; !(await members()).includes('n4'); i++) {
    assert.ok(i < 200, 'n4 never joined');
    await sleep(100);
  }

  const refusals: Array<[string, string[], RegExp]> = [
    ['n5', [], /this cluster requires a login to join: start node n5 with --join-password/],
    ['n6', ['--join-password', 'not-it'], /wrong user name or password in node n6's join request/],
    [
      'n7',
      ['--join-user', 'app', '--join-password', APP_PW],
      /user app may not add nodes: a join needs a readwrite user without a key prefix/,
    ],
  ];
  for (const [id, login, refusal] of refusals) {
    const spec = await cluster.addNodeSpec(id);
    const proc = startDistdb(
      [
        'node',
        '--id',
        id,
        '--host',
        '127.0.0.1',
        '--port',
        String(spec.port),
        '--peer-port',
        String(spec.peerPort),
        '--data-dir',
        spec.dataDir,
        '--join',
        joinAt,
        ...login,
      ],
      { env: { NODE_PASSWORD: '' } },
    );
    try {
      await proc.waitFor(refusal, 20_000);
    } finally {
      await proc.stop(5000);
    }
    assert.ok(!(await members()).includes(id), `${id} was added`);
  }
  assert.equal(String(await admin.command('CLUSTER', 'REMOVE', 'n4')), 'OK');
});
