// TLS settings are checked at startup: every wrong file or combination is
// reported naming the flag to fix, before any connection fails.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/cli/config.js';
import { clientTlsSettings, nodeTlsSettings } from '../../src/cli/tls-settings.js';
import { checkNodeIdentity, loadTlsMaterial, TlsConfigError } from '../../src/tls/index.js';
import { TestCa, type CertFiles } from '../helpers/certs.js';
import { tempDir } from '../helpers/processes.js';

const dir = tempDir('distdb-tls-unit-');
let ca: TestCa;
let other: TestCa;
let n1: CertFiles;
let foreign: CertFiles;
const need = { needCa: true };

before(() => {
  ca = new TestCa(dir.path, 'ca');
  other = new TestCa(dir.path, 'other');
  n1 = ca.issue('n1');
  foreign = other.issue('n1');
});
after(() => dir.remove());

function fails(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: Error) => e instanceof TlsConfigError && re.test(e.message));
}

describe('loadTlsMaterial', () => {
  test('good files load, and the certificate names the node', () => {
    const m = loadTlsMaterial({ cert: n1.cert, key: n1.key, ca: ca.cert }, need);
    assert.ok(m);
    assert.deepEqual(m.names, ['n1', 'localhost', '127.0.0.1']);
    checkNodeIdentity(m, 'n1');
    fails(() => checkNodeIdentity(m, 'n2'), /names "n1", .* not this node's id "n2".*CN=n2/);
  });

  test('no file at all: no TLS', () => {
    assert.equal(loadTlsMaterial({}, need), null);
  });

  test('a certificate without its key, or a key without its certificate, names the missing flag', () => {
    fails(
      () => loadTlsMaterial({ cert: n1.cert, ca: ca.cert }, need),
      /--tls-cert \(NODE_TLS_CERT\) and --tls-ca \(NODE_TLS_CA\) given but not --tls-key/,
    );
    fails(() => loadTlsMaterial({ key: n1.key }, need), /but not --tls-cert/);
  });

  test('a cluster node needs the CA', () => {
    fails(
      () => loadTlsMaterial({ cert: n1.cert, key: n1.key }, need),
      /give --tls-ca \(NODE_TLS_CA\)/,
    );
    assert.ok(loadTlsMaterial({ cert: n1.cert, key: n1.key }, { needCa: false }));
  });

  test('a missing file or a directory names the flag and the path', () => {
    const missing = join(dir.path, 'nope.crt');
    fails(
      () => loadTlsMaterial({ cert: missing, key: n1.key, ca: ca.cert }, need),
      /--tls-cert \(NODE_TLS_CERT\): cannot read the certificate file .*nope\.crt: no such file/,
    );
    fails(
      () => loadTlsMaterial({ cert: n1.cert, key: n1.key, ca: dir.path }, need),
      /--tls-ca \(NODE_TLS_CA\): cannot read the CA certificate file .*: it is a directory/,
    );
  });

  test('a file that is not PEM is named', () => {
    const junk = join(dir.path, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    fails(
      () => loadTlsMaterial({ cert: junk, key: n1.key, ca: ca.cert }, need),
      /--tls-cert .*junk\.pem holds no PEM certificate/,
    );
    fails(
      () => loadTlsMaterial({ cert: n1.cert, key: junk, ca: ca.cert }, need),
      /--tls-key .*junk\.pem is not a usable PEM private key/,
    );
    fails(
      () => loadTlsMaterial({ cert: n1.cert, key: n1.key, ca: junk }, need),
      /--tls-ca .*junk\.pem holds no PEM certificate/,
    );
  });

  test('the key of another certificate is refused', () => {
    fails(
      () => loadTlsMaterial({ cert: n1.cert, key: foreign.key, ca: ca.cert }, need),
      /is not the private key of the certificate/,
    );
  });

  test('a certificate the CA did not sign is refused: the other nodes would refuse it', () => {
    fails(
      () => loadTlsMaterial({ cert: foreign.cert, key: foreign.key, ca: ca.cert }, need),
      /is not signed by the CA in .*ca\.crt \(--tls-ca \(NODE_TLS_CA\)\)/,
    );
  });

  test('an expired certificate, or one not valid yet, is refused', () => {
    const files = { cert: n1.cert, key: n1.key, ca: ca.cert };
    fails(
      () => loadTlsMaterial(files, { needCa: true, now: new Date(Date.now() + 400 * 86_400_000) }),
      /expired on/,
    );
    fails(
      () => loadTlsMaterial(files, { needCa: true, now: new Date(Date.now() - 86_400_000) }),
      /not valid before/,
    );
  });
});

describe('TLS flags', () => {
  test('--tls-required or --tls-client-auth without certificate files is a ConfigError naming what to give', () => {
    assert.throws(
      () => nodeTlsSettings({ tlsRequired: true }),
      (e: Error) =>
        e instanceof ConfigError &&
        /--tls-required needs TLS set up: give --tls-cert/.test(e.message),
    );
    assert.throws(
      () => nodeTlsSettings({ tlsClientAuth: true }),
      /--tls-client-auth needs TLS set up/,
    );
  });

  test('a cluster node: the certificate must name its id; --tls-client-auth implies --tls-required', () => {
    const flags = { tlsCert: n1.cert, tlsKey: n1.key, tlsCa: ca.cert };
    assert.throws(
      () => nodeTlsSettings(flags, 'n2'),
      (e: Error) => e instanceof ConfigError && /not this node's id "n2"/.test(e.message),
    );
    const s = nodeTlsSettings({ ...flags, tlsClientAuth: true }, 'n1');
    assert.equal(s?.client.required, true);
    assert.equal(nodeTlsSettings(flags, 'n1')?.client.required, false);
  });

  test('the files come from NODE_TLS_CERT, NODE_TLS_KEY and NODE_TLS_CA when no flag is given', () => {
    const env = { NODE_TLS_CERT: n1.cert, NODE_TLS_KEY: n1.key, NODE_TLS_CA: ca.cert };
    Object.assign(process.env, env);
    try {
      assert.equal(nodeTlsSettings({}, 'n1')?.material.paths.cert, n1.cert);
      // A flag wins over the environment.
      assert.throws(
        () => nodeTlsSettings({ tlsCa: other.cert }, 'n1'),
        /is not signed by the CA in/,
      );
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  });

  test('a bad NODE_TLS_REQUIRED value names the variable', () => {
    process.env['NODE_TLS_REQUIRED'] = 'perhaps';
    try {
      assert.throws(
        () => nodeTlsSettings({}),
        /--tls-required \(NODE_TLS_REQUIRED\) must be 1 or 0/,
      );
    } finally {
      delete process.env['NODE_TLS_REQUIRED'];
    }
  });

  test('client: --tls-ca turns TLS on; a certificate needs its key; a missing CA file is named', () => {
    assert.equal(clientTlsSettings({}), undefined);
    assert.equal(clientTlsSettings({ tls: true })?.ca, undefined);
    assert.ok(clientTlsSettings({ tlsCa: ca.cert })?.ca);
    assert.throws(
      () => clientTlsSettings({ tlsCert: n1.cert }),
      /needs its private key: give --tls-key/,
    );
    assert.throws(
      () => clientTlsSettings({ tlsCa: join(dir.path, 'none.crt') }),
      /--tls-ca \(DISTDB_TLS_CA\): cannot read .*none\.crt: no such file/,
    );
  });
});
