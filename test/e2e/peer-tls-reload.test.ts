// A peer transport given new TLS material (SIGHUP reload) dials with it: a
// TLS listener standing in for another node records the certificate each
// dial presents, before and after setTls.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import { after, test } from 'node:test';
import pino from 'pino';
import { startPeerTransport } from '../../src/peer/index.js';
import { loadTlsMaterial, type TlsMaterial } from '../../src/tls/index.js';
import { TestCa, type CertFiles } from '../helpers/certs.js';
import { tempDir } from '../helpers/processes.js';

const dir = tempDir('distdb-peer-tls-reload-');
after(() => dir.remove());

function material(files: CertFiles, ca: string): TlsMaterial {
  return loadTlsMaterial({ ...files, ca }, { needCa: true })!;
}

test('after setTls, new outbound peer connections present the new certificate', async () => {
  const ca = new TestCa(dir.path, 'ca');
  const [first, second, listener] = [
    ca.issue('n1', 'first-'),
    ca.issue('n1', 'second-'),
    ca.issue('n2'),
  ];
  const presented: string[] = [];
  const server = createServer(
    {
      cert: readFileSync(listener.cert),
      key: readFileSync(listener.key),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket: TLSSocket) => {
      presented.push(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    },
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const transport = await startPeerTransport({
    nodeId: 'n1',
    clusterId: 'test-cluster',
    listen: { host: '127.0.0.1', port: 0 },
    peers: {},
    onMessages: () => undefined,
    onRequest: () => Promise.resolve(new Uint8Array()),
    logger: pino({ level: 'silent' }),
    tls: material(first, ca.cert),
  });
  try {
    const dial = () =>
      transport.requestAt(`127.0.0.1:${port}`, Buffer.from('x'), 2000).catch(() => null);
    await dial();
    transport.setTls(material(second, ca.cert));
    await dial();
    const fingerprint = (f: CertFiles) => new X509Certificate(readFileSync(f.cert)).fingerprint256;
    assert.deepEqual(presented, [fingerprint(first), fingerprint(second)]);
  } finally {
    await transport.close();
    await new Promise((ok) => server.close(ok));
  }
});
