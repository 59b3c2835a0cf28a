// The byte and text formats of the cluster layer: snapshot data and stored
// snapshots round-trip, member contexts reject what is not ours, and the
// --peers list is parsed or refused with a sentence.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePeers } from '../../src/cli/cluster-options.js';
import {
  decodeMemberContext,
  encodeMemberContext,
  mergeBook,
  type AddressBook,
} from '../../src/coordinator/replication/address-book.js';
import {
  decodeSnapshotData,
  decodeStoredSnapshot,
  encodeSnapshotData,
  encodeStoredSnapshot,
} from '../../src/coordinator/replication/snapshot-format.js';

test('snapshot data carries the address book and the image, byte for byte', () => {
  const book: AddressBook = new Map([
    ['n1', { peer: '10.0.0.1:7479', client: '10.0.0.1:7379' }],
    ['n2', { peer: '10.0.0.2:7479', client: null }],
  ]);
  const image = Buffer.from([0, 1, 2, 255, 254]);
  const back = decodeSnapshotData(encodeSnapshotData(book, image));
  assert.deepEqual([...back.book], [...book]);
  assert.ok(Buffer.from(back.image).equals(image));
  assert.throws(() => decodeSnapshotData(Buffer.from([0, 0, 0, 9, 1])), /runs past the end/);
});

test('a stored snapshot keeps its metadata and data', () => {
  const s = {
    metadata: { index: 42, term: 7, conf: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } },
    data: Buffer.from('state'),
  };
  const back = decodeStoredSnapshot(encodeStoredSnapshot(s));
  assert.deepEqual(back.metadata, s.metadata);
  assert.equal(Buffer.from(back.data).toString(), 'state');
  assert.throws(() => decodeStoredSnapshot(Buffer.from([0, 0])), /shorter than its header/);
});

test('member contexts: ours decode, anything else is ignored; merging keeps known client addresses', () => {
  const ctx = encodeMemberContext({ peer: 'h:1', client: 'h:2' });
  assert.deepEqual(decodeMemberContext(ctx), { peer: 'h:1', client: 'h:2' });
  assert.equal(decodeMemberContext(new Uint8Array(0)), null);
  assert.equal(decodeMemberContext(Buffer.from('not json')), null);
  assert.equal(decodeMemberContext(Buffer.from('{"client":"x"}')), null);
  const book: AddressBook = new Map([['n1', { peer: 'h:1', client: 'h:2' }]]);
  mergeBook(book, new Map([['n1', { peer: 'h:9', client: null }]]));
  assert.deepEqual(book.get('n1'), { peer: 'h:9', client: 'h:2' });
});

test('--peers is parsed, and bad lists are refused with a sentence', () => {
  assert.deepEqual(parsePeers('n1=10.0.0.1:7479, n2=host.example:7480'), {
    n1: '10.0.0.1:7479',
    n2: 'host.example:7480',
  });
  assert.throws(() => parsePeers('n1=10.0.0.1'), /must look like id=host:port/);
  assert.throws(() => parsePeers('n1=a:1,n1=b:2'), /names node n1 twice/);
  assert.throws(() => parsePeers('n1=a:70000'), /port number/);
  // An empty list is refused with the other checks of the list (initial-peers.test.ts).
  assert.deepEqual(parsePeers(' , '), {});
});
