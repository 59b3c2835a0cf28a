// What a node keeps of its members is dropped when one is removed, as
// MemberAnswers drops their I-request bookkeeping (info-cadence.test.ts):
// its entry room and its address. A member added again under the same id is
// learned anew, and a removed member's address no longer travels in this
// node's snapshots and join answers. The ClusterNode here is a real one with
// no engine connected and no transport: setConf is the path every
// membership takes (applied change, snapshot, load).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { keepOnly } from '../../src/coordinator/replication/address-book.js';
import { ClusterNode } from '../../src/coordinator/replication/cluster-node.js';
import { EntryRooms } from '../../src/coordinator/replication/entry-rooms.js';
import { DEFAULT_REPLICATION } from '../../src/coordinator/replication/replication-settings.js';
import type { StorageLink } from '../../src/coordinator/storage-link.js';
import type { ReplicationMetrics } from '../../src/coordinator/metrics/replication-metrics.js';

const BIG = { bytes: 67_107_000, frame: 67_108_864 };
const SMALL = { bytes: 261_075, frame: 262_144 };

function node(id: string): ClusterNode {
  const away = { connected: false } as unknown as StorageLink;
  return new ClusterNode(
    {
      id,
      clusterId: 'distdb',
      peerHost: '127.0.0.1',
      peerPort: 0,
      peers: null,
      join: null,
      settings: { ...DEFAULT_REPLICATION },
    },
    away,
    pino({ level: 'silent' }),
    {} as ReplicationMetrics, // not used by setConf
    {} as ClusterNode['logins'],
  );
}

function addresses(n: ClusterNode, ...ids: string[]): void {
  for (const id of ids) n.book.set(id, { peer: `127.0.0.1:1000${id.slice(1)}`, client: null });
}

describe('keepOnly', () => {
  it('forgets the rooms of whoever is not a member', () => {
    const rooms = new EntryRooms();
    rooms.note('n2', BIG);
    rooms.note('n3', SMALL);
    rooms.keepOnly(new Set(['n1', 'n2']));
    assert.deepEqual(rooms.get('n2'), BIG);
    assert.equal(rooms.get('n3'), null);
  });

  it('forgets the addresses of whoever is not a member', () => {
    const n = node('n1');
    addresses(n, 'n1', 'n2', 'n3');
    keepOnly(n.book, new Set(['n1', 'n2']));
    assert.deepEqual([...n.book.keys()], ['n1', 'n2']);
  });
});

describe('ClusterNode.setConf', () => {
  it("forgets a removed member's room and address, and learns them anew when it is added again", () => {
    const n = node('n1');
    addresses(n, 'n1', 'n2', 'n3');
    n.setConf({ voters: ['n1', 'n2', 'n3'], learners: [] });
    n.noteRoom('n2', BIG);
    n.noteRoom('n3', SMALL);
    assert.deepEqual(n.entryLimit(), { node: 'n3', room: SMALL });

    n.setConf({ voters: ['n1', 'n2'], learners: [] }); // n3 removed
    assert.equal(n.rooms.get('n3'), null);
    assert.equal(n.book.has('n3'), false);
    assert.deepEqual(n.entryLimit(), { node: 'n2', room: BIG });

    // Added again (upgraded, with a larger frame, say): not known until it says.
    n.setConf({ voters: ['n1', 'n2'], learners: ['n3'] });
    assert.equal(n.rooms.get('n3'), null);
    assert.deepEqual(n.entryLimit(), { node: 'n2', room: BIG });
    n.noteRoom('n3', BIG);
    assert.deepEqual(n.rooms.get('n3'), BIG);
    // A promotion keeps what was learned.
    n.setConf({ voters: ['n1', 'n2', 'n3'], learners: [] });
    assert.deepEqual(n.rooms.get('n3'), BIG);
    assert.equal(n.book.get('n1')?.peer, '127.0.0.1:10001', 'this node keeps its own address');
  });

  it('keeps every address while this node is not a member: a joining or removed node talks to all it has heard of', () => {
    const n = node('n4');
    addresses(n, 'n1', 'n2', 'n3', 'n4');
    n.setConf({ voters: ['n1', 'n2'], learners: [] });
    assert.deepEqual([...n.book.keys()], ['n1', 'n2', 'n3', 'n4']);
  });
});
