// OpenSSL's failure codes become sentences saying which side rejected what.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preambleProblem } from '../../src/peer/handshake.js';
import { clientTlsErrorMessage, peerTlsErrorMessage } from '../../src/tls/index.js';

const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });
const ctx = { address: '127.0.0.1:7379', host: '127.0.0.1', caGiven: true, caPath: 'tls/ca.crt' };

test('client: each TLS failure says who rejected what and what to change', () => {
  for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']) {
    assert.match(
      clientTlsErrorMessage(err(code), ctx) ?? '',
      /the server's certificate is not signed by the CA you gave \(--tls-ca tls\/ca\.crt\)/,
    );
  }
  // No CA given: the system's were used, and the message names the setting that takes one.
  assert.match(
    clientTlsErrorMessage(err('SELF_SIGNED_CERT_IN_CHAIN'), { ...ctx, caGiven: false }) ?? '',
    /not signed by a CA this machine trusts .*--tls-ca \(env DISTDB_TLS_CA\)/,
  );
  assert.match(
    clientTlsErrorMessage(err('CERT_HAS_EXPIRED'), ctx) ?? '',
    /this client rejected the server's certificate: it has expired/,
  );
  assert.match(
    clientTlsErrorMessage(err('ERR_TLS_CERT_ALTNAME_INVALID'), ctx) ?? '',
    /not for "127\.0\.0\.1".*--tls-servername/,
  );
  assert.match(
    clientTlsErrorMessage(err('ERR_SSL_WRONG_VERSION_NUMBER'), ctx) ?? '',
    /does not answer with TLS.*connect without --tls/,
  );
  assert.match(
    clientTlsErrorMessage(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), ctx) ?? '',
    /requires a certificate and none was presented.*--tls-cert and --tls-key/,
  );
  assert.match(
    clientTlsErrorMessage(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), ctx) ?? '',
    /ended the TLS handshake: it rejected the certificate presented: not signed by a CA it trusts/,
  );
  assert.equal(clientTlsErrorMessage(err('ECONNREFUSED'), ctx), null);
});

test("peer: the dialling side names its own rejection and the other side's", () => {
  assert.match(
    peerTlsErrorMessage(err('CERT_HAS_EXPIRED')) ?? '',
    /this node rejected the peer's certificate: it has expired/,
  );
  assert.match(
    peerTlsErrorMessage(err('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')) ?? '',
    /the peer ended the TLS handshake: it rejected the certificate presented/,
  );
  assert.match(
    peerTlsErrorMessage(err('ERR_SSL_WRONG_VERSION_NUMBER')) ?? '',
    /does not speak TLS/,
  );
  assert.equal(peerTlsErrorMessage(err('ECONNRESET')), null);
});

test('a plain peer port reached by a TLS node says the two nodes disagree on TLS', () => {
  assert.match(
    preambleProblem(Buffer.from([0x16, 3, 1, 0, 0, 0])) ?? '',
    /a TLS handshake: the dialling node uses TLS \(--tls-cert\) and this node does not/,
  );
});
