// Mutual TLS between the nodes of a real 3-node cluster: it elects and
// replicates over TLS; a node with a certificate from another CA, a node
// without TLS, a process holding no certificate and one whose certificate
// names another node are all refused, and both sides' logs say why.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { decodeRefuse, encodeHello, FrameKind } from '../../src/peer/frames.js';
import { encodePreamble } from '../../src/peer/handshake.js';
import { TestCa, nodeTlsFlags, type CertFiles } from '../helpers/certs.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { putUntilOk, TestCluster } from './cluster-support.js';

const dir = tempDir('distdb-tls-cluster-');
let ca: TestCa;
let evil: TestCa;
let cluster: TestCluster;
let n1PeerPort = 0;
const certs = new Map<string, CertFiles>();
const strays: Proc[] = [];

before(async () => {
  ca = new TestCa(dir.path, 'ca');
  evil = new TestCa(dir.path, 'evil');
  for (const id of ['n1', 'n2', 'n3', 'app']) certs.set(id, ca.issue(id));
  cluster = new TestCluster();
  for (const id of ['n1', 'n2', 'n3']) await cluster.addNodeSpec(id);
  const peers = cluster.nodes.map((x) => `${x.id}=127.0.0.1:${x.peerPort}`).join(',');
  n1PeerPort = cluster.node('n1').peerPort;
  await Promise.all(
    cluster.nodes.map((x) =>
      cluster.run(x, [
        '--peers',
        peers,
        '--log-level',
        'info',
        ...nodeTlsFlags(certs.get(x.id) as CertFiles, ca.cert),
      ]),
    ),
  );
});

after(async () => {
  await Promise.all(strays.map((p) => p.stop()));
  await cluster?.stop();
  dir.remove();
});

function n1Log(): string {
  return cluster.node('n1').proc?.output() ?? '';
}

/** Dials n1's peer port over TLS with `files` (or no certificate), says hello as `from`, returns the refusal reason. */
function helloOverTls(files: CertFiles | null, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = tlsConnect({
      host: '127.0.0.1',
      port: n1PeerPort,
      ca: readFileSync(ca.cert),
      cert: files ? readFileSync(files.cert) : undefined,
      key: files ? readFileSync(files.key) : undefined,
      checkServerIdentity: () => undefined,
    });
    s.on('secureConnect', () => {
      s.write(encodePreamble());
      s.write(encodeHello({ clusterId: 'distdb', from, to: '' }));
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined); // the close that follows a refusal may be a reset
    s.on('close', () => {
      const reply = Buffer.concat(chunks);
      if (reply.length < 11 || reply[10] !== FrameKind.refuse) {
        reject(new Error(`no refusal; got ${reply.toString('hex')}`));
        return;
      }
      resolve(decodeRefuse(reply.subarray(11, 10 + reply.readUInt32BE(6))));
    });
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

test('a 3-node cluster over mutual TLS elects a leader and replicates to every node', async () => {
  const leader = await cluster.waitForLeader();
  const client = await cluster.client(cluster.node(leader));
  const acked = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    await putUntilOk(client, `tls:${i}`, `v${i}`);
    acked.set(`tls:${i}`, `v${i}`);
  }
  await cluster.assertAckedEverywhere(acked);
  assert.doesNotMatch(n1Log(), /refused peer connection/);
});

test('a node whose certificate comes from another CA cannot join, and its log says why', async () => {
  const n4 = evil.issue('n4');
  const proc = startDistdb([
    'node',
    '--id',
    'n4',
    '--port',
    String(await freePort()),
    '--peer-port',
    String(await freePort()),
    '--data-dir',
    join(dir.path, 'n4'),
    '--join',
    `127.0.0.1:${n1PeerPort}`,
    ...nodeTlsFlags(n4, evil.cert),
  ]);
  strays.push(proc);
  await proc.waitFor(
    /cannot join .*this node rejected the peer's certificate: it is not signed by the trusted CA/,
  );
  const status = await cluster.status(cluster.node('n1'));
  assert.deepEqual(status.members.map((m) => m.id).sort(), ['n1', 'n2', 'n3']);
});

test('a process with a foreign certificate or none is refused before its hello is read, with the reason', async () => {
  const foreign = await helloOverTls(evil.issue('n5', 'evil-'), 'n5');
  assert.match(
    foreign,
    /node n1 rejected the dialling node's certificate: it is not signed by the trusted CA/,
  );
  const none = await helloOverTls(null, 'n6');
  assert.match(
    none,
    /node n1 requires a certificate from every dialling node and none was presented/,
  );
  await cluster
    .node('n1')
    .proc?.waitFor(/refused peer connection from .*rejected the dialling node's certificate/);
});

test('a certificate of the cluster CA that names another node cannot claim to be n2', async () => {
  const reason = await helloOverTls(certs.get('app') as CertFiles, 'n2');
  assert.match(reason, /it says it is node "n2" but its certificate names "app"/);
});

test('a node without TLS is refused by the TLS cluster, and both logs say so', async () => {
  const proc = startDistdb([
    'node',
    '--id',
    'n7',
    '--port',
    String(await freePort()),
    '--peer-port',
    String(await freePort()),
    '--data-dir',
    join(dir.path, 'n7'),
    '--join',
    `127.0.0.1:${n1PeerPort}`,
  ]);
  strays.push(proc);
  await proc.waitFor(/it refused the connection: node n1 takes only TLS peer connections/);
  await cluster
    .node('n1')
    .proc?.waitFor(/refused peer connection from .*takes only TLS peer connections/);
});
