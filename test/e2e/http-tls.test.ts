// A node with a certificate serves its HTTP port as HTTPS only, with the
// client port's certificate: a client trusting the CA gets the status, plain
// HTTP gets no answer; with --tls-client-auth a client needs a certificate.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestCa, nodeTlsFlags, type CertFiles } from '../helpers/certs.js';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { httpPortOf } from './http-support.js';
import { startNode } from './node-helpers.js';

const dir = tempDir('distdb-http-tls-');
let ca: TestCa;
let app: CertFiles;
const nodes: Proc[] = [];
let open = 0;
let strict = 0;

before(async () => {
  ca = new TestCa(dir.path, 'ca');
  app = ca.issue('app');
  const n1 = ca.issue('n1');
  const [p1, p2] = [await freePort(), await freePort()];
  const [a, b] = await Promise.all([
    startNode(join(dir.path, 'open'), p1, nodeTlsFlags(n1, ca.cert, ['--http-port', '0'])),
    startNode(
      join(dir.path, 'strict'),
      p2,
      nodeTlsFlags(n1, ca.cert, ['--tls-client-auth', '--http-port', '0']),
    ),
  ]);
  nodes.push(a, b);
  [open, strict] = [await httpPortOf(a), await httpPortOf(b)];
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  dir.remove();
});

function get(
  port: number,
  path: string,
  tls: RequestOptions | null,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, ...tls };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS with the node certificate; plain HTTP is not answered', async () => {
  const res = await get(open, '/status', { ca: readFileSync(ca.cert), servername: 'localhost' });
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.body) as { node: { id: string } }).node.id, 'n1');
  await assert.rejects(get(open, '/status', null));
});

test('with --tls-client-auth the HTTP port asks for a client certificate signed by the CA', async () => {
  const trust = { ca: readFileSync(ca.cert), servername: 'localhost' };
  await assert.rejects(get(strict, '/status', trust));
  const res = await get(strict, '/status', {
    ...trust,
    cert: readFileSync(app.cert),
    key: readFileSync(app.key),
  });
  assert.equal(res.status, 200);
});
