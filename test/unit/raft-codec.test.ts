import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CODEC_VERSION,
  RaftCodecError,
  decodeConfChange,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshotMetadata,
  encodeConfChange,
  encodeEntries,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshotMetadata,
} from '../../src/raft/codec.js';
import { makeMessage } from '../../src/raft/message.js';
import {
  raftBytes as bytes,
  entry,
  message,
  nodeId as id,
  record,
  snapshotMetadata as metadata,
  uint,
} from '../helpers/raft-arbitraries.js';

function onlyCodecErrors(decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  try {
    decode(input);
  } catch (err) {
    assert.ok(err instanceof RaftCodecError, `unexpected ${String(err)}`);
  }
}

describe('raft codec', () => {
  it('round-trips messages', () => {
    fc.assert(fc.property(message, (m) => assert.deepEqual(decodeMessage(encodeMessage(m)), m)));
  });

  it('round-trips entries, hard states, snapshot metadata and conf changes', () => {
    fc.assert(fc.property(entry, (e) => assert.deepEqual(decodeEntry(encodeEntry(e)), e)));
    // A batch's records share one buffer; each is exactly its entry's record.
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8, size: 'max' }), (es) =>
        assert.deepEqual(encodeEntries(es).map(decodeEntry), es),
      ),
    );
    fc.assert(
      fc.property(record({ term: uint, vote: fc.option(id, { nil: null }), commit: uint }), (h) =>
        assert.deepEqual(decodeHardState(encodeHardState(h)), h),
      ),
    );
    fc.assert(
      fc.property(metadata, (m) =>
        assert.deepEqual(decodeSnapshotMetadata(encodeSnapshotMetadata(m)), m),
      ),
    );
    fc.assert(
      fc.property(
        record({
          type: fc.constantFrom('add-learner' as const, 'add-voter' as const, 'remove' as const),
          node: id,
          context: bytes,
        }),
        (cc) => assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc),
      ),
    );
  });

  it('random bytes never crash a decoder: only RaftCodecError', () => {
    const decoders = [
      decodeMessage,
      decodeEntry,
      decodeHardState,
      decodeSnapshotMetadata,
      decodeConfChange,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (raw, withHeader) => {
        for (const [i, decode] of decoders.entries()) {
          const input = withHeader ? Uint8Array.from([CODEC_VERSION, i + 1, ...raw]) : raw;
          onlyCodecErrors(decode, input);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation or bit flip of a valid message is refused cleanly', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.nat(255), (m, at, flip) => {
        const enc = encodeMessage(m);
        const cut = at % enc.length;
        assert.throws(() => decodeMessage(enc.subarray(0, cut)), RaftCodecError);
        const flipped = enc.slice();
        flipped[cut] = (flipped[cut] ?? 0) ^ (flip + 1);
        onlyCodecErrors(decodeMessage, flipped);
      }),
    );
  });

  it('decoded bytes never alias the input buffer (transports reuse theirs)', () => {
    const input = Buffer.from(
      encodeEntry({ term: 1, index: 2, type: 'normal', data: new Uint8Array([7, 7]) }),
    );
    const e = decodeEntry(input);
    input.fill(0);
    assert.deepEqual([...e.data], [7, 7]);
  });

  it('names what is wrong', () => {
    const e = encodeEntry({ term: 1, index: 2, type: 'normal', data: new Uint8Array([1]) });
    assert.throws(
      () => decodeEntry(Uint8Array.from([9, ...e.subarray(1)])),
      /unsupported codec version 9/,
    );
    assert.throws(() => decodeHardState(e), /expected a hardState record, got kind 2/);
    assert.throws(() => decodeEntry(Uint8Array.from([...e, 0])), /1 unexpected trailing bytes/);
    assert.throws(() => decodeEntry(e.subarray(0, 5)), /truncated input: entry term/);
    assert.throws(
      () => encodeEntry({ term: -1, index: 2, type: 'normal', data: new Uint8Array() }),
      /not a non-negative safe integer/,
    );
    assert.throws(() => decodeEntry('nope' as unknown as Uint8Array), /input is not bytes/);
  });

  it('refuses an entry count the input cannot hold instead of allocating for it', () => {
    const m = encodeMessage(makeMessage({ type: 'append', to: 'b' }, 'a', 1, 1));
    // The entry count sits after: version, kind, type, group(8), from(4+1), to(4+1), term, logTerm, index (8 each).
    const at = 3 + 8 + 5 + 5 + 24;
    const bad = m.slice();
    new DataView(bad.buffer).setUint32(at, 0xffffffff);
    assert.throws(() => decodeMessage(bad), /count 4294967295 exceeds/);
  });
});
