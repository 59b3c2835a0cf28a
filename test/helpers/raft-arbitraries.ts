// fast-check generators for the raft codec's values, shared by its unit test
// (test/unit/raft-codec.test.ts) and the peer-frame fuzz targets
// (test/helpers/fuzz-targets.ts), so a new message type or field is added to
// both at once.

import fc from 'fast-check';
import { MESSAGE_TYPES } from '../../src/raft/codec.js';
import type { Entry, Message, SnapshotMetadata } from '../../src/raft/types.js';

export const uint = fc.maxSafeNat();
export const raftBytes = fc.uint8Array({ maxLength: 64 });
export const nodeId = fc.string({ maxLength: 12 });

/** fc.record with plain prototypes, so decoded values compare deep-equal to the generated ones. */
export const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true });

export const entry: fc.Arbitrary<Entry> = record({
  term: uint,
  index: uint,
  type: fc.constantFrom('normal' as const, 'conf-change' as const),
  data: raftBytes,
});

export const snapshotMetadata: fc.Arbitrary<SnapshotMetadata> = record({
  index: uint,
  term: uint,
  conf: record({
    voters: fc.array(nodeId, { maxLength: 5 }),
    learners: fc.array(nodeId, { maxLength: 3 }),
  }),
});

export const message: fc.Arbitrary<Message> = record({
  type: fc.constantFrom(...MESSAGE_TYPES),
  group: uint,
  from: nodeId,
  to: nodeId,
  term: uint,
  logTerm: uint,
  index: uint,
  entries: fc.array(entry, { maxLength: 4 }),
  commit: uint,
  reject: fc.boolean(),
  rejectHint: uint,
  snapshot: fc.option(
    record({ metadata: snapshotMetadata, offset: uint, total: uint, data: raftBytes }),
    { nil: null },
  ),
  context: fc.option(raftBytes, { nil: null }),
});
