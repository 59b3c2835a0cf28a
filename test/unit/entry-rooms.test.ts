import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EntryRooms,
  frameNeeded,
  joinRefusal,
  roomFromContext,
  roomFromJson,
  roomToJson,
  tooLargeMessage,
} from '../../src/coordinator/replication/entry-rooms.js';

const BIG = { bytes: 67_107_000, frame: 67_108_864 };
const SMALL = { bytes: 261_075, frame: 262_144 };

describe('EntryRooms.smallest', () => {
  it('is this node own room while no member has answered', () => {
    const rooms = new EntryRooms();
    assert.deepEqual(rooms.smallest(['n1', 'n2', 'n3'], 'n1', BIG), { node: 'n1', room: BIG });
    assert.equal(rooms.smallest(['n1', 'n2'], 'n1', null), null);
  });

  it('is the smallest room among the members, not among every node heard of', () => {
    const rooms = new EntryRooms();
    rooms.note('n2', BIG);
    rooms.note('n3', SMALL);
    assert.deepEqual(rooms.smallest(['n1', 'n2', 'n3'], 'n1', BIG), { node: 'n3', room: SMALL });
    // n3 removed: it no longer limits the writes.
    assert.deepEqual(rooms.smallest(['n1', 'n2'], 'n1', BIG), { node: 'n1', room: BIG });
    // A room noted for this node itself is not used: its engine's own is.
    rooms.note('n1', SMALL);
    assert.deepEqual(rooms.smallest(['n1', 'n2'], 'n1', BIG), { node: 'n1', room: BIG });
    // The engine away: the members' rooms still count.
    assert.deepEqual(rooms.smallest(['n1', 'n3'], 'n1', null), { node: 'n3', room: SMALL });
  });

  it('takes a member restarted with another frame at its new room', () => {
    const rooms = new EntryRooms();
    rooms.note('n2', SMALL);
    rooms.note('n2', BIG);
    assert.deepEqual(rooms.get('n2'), BIG);
    assert.equal(rooms.get('n9'), null);
  });
});

describe('entry room JSON', () => {
  it('round-trips and refuses what is not a room', () => {
    assert.deepEqual(roomFromJson(roomToJson(SMALL)), SMALL);
    assert.deepEqual(roomToJson(null), {});
    assert.equal(roomFromJson({}), null);
    assert.equal(roomFromJson(null), null);
    assert.equal(roomFromJson({ room: '5', frame: 10 }), null);
    assert.equal(roomFromJson({ room: -1, frame: 10 }), null);
    assert.equal(roomFromJson({ room: 11, frame: 10 }), null);
    assert.equal(roomFromJson({ room: 1.5, frame: 10 }), null);
  });

  it('is read from a conf change context beside the addresses, if there', () => {
    const ctx = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
    assert.deepEqual(
      roomFromContext(ctx({ peer: 'h:1', client: null, ...roomToJson(SMALL) })),
      SMALL,
    );
    assert.equal(roomFromContext(ctx({ peer: 'h:1', client: null })), null);
    assert.equal(roomFromContext(new Uint8Array(0)), null);
    assert.equal(roomFromContext(Buffer.from('{not json')), null);
  });
});

describe('what the refusals say', () => {
  it('names the member and the frame that would hold the write', () => {
    const need = frameNeeded(300_000, SMALL);
    assert.equal(need, 300_000 + SMALL.frame - SMALL.bytes);
    assert.equal(
      tooLargeMessage(300_000, { node: 'n3', room: SMALL }),
      `ERR the write needs a Raft entry of 300000 bytes, but node n3's storage engine holds at most 261075 (STORAGE_MAX_FRAME_SIZE 262144 there); raise STORAGE_MAX_FRAME_SIZE on n3 to at least ${need}, or write less at once`,
    );
  });

  it('refuses a join only when the leader log holds an entry larger than the room', () => {
    assert.equal(joinRefusal('n4', SMALL, SMALL.bytes), null);
    assert.equal(joinRefusal('n4', SMALL, 0), null);
    assert.equal(
      joinRefusal('n4', SMALL, SMALL.bytes + 1),
      `node n4's storage engine holds Raft entries of at most 261075 bytes (STORAGE_MAX_FRAME_SIZE 262144), but the leader's log holds one of 261076 bytes: start n4 with STORAGE_MAX_FRAME_SIZE of at least 262145`,
    );
  });
});
