// The peer transport's wire pieces: the frame reader (any split of the
// stream, bad lengths), frame bodies (round trips, malformed input), the
// preamble and hello checks. Random input may only ever produce the
// documented errors, never a crash or a hang.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeMessage } from '../../src/raft/codec.js';
import type { Message } from '../../src/raft/types.js';
import { parsePeerAddress } from '../../src/peer/address.js';
import { FrameError, FrameReader } from '../../src/peer/frame-reader.js';
import {
  decodeHello,
  decodeRaftBatch,
  decodeRefuse,
  decodeRequest,
  decodeResponse,
  decodeWelcome,
  encodeHello,
  encodePing,
  encodeRaftBatch,
  encodeRefuse,
  encodeRequest,
  encodeResponse,
  encodeWelcome,
  FrameKind,
  PeerProtocolError,
  raftFrameSize,
} from '../../src/peer/frames.js';
import {
  encodePreamble,
  helloProblem,
  preambleProblem,
  PROTOCOL_VERSION,
} from '../../src/peer/handshake.js';
import { DEFAULT_PEER_LIMITS, peerLimitsProblem, type PeerLimits } from '../../src/peer/limits.js';

function message(over: Partial<Message> = {}): Message {
  return {
    type: 'append',
    group: 7,
    from: 'n1',
    to: 'n2',
    term: 3,
    logTerm: 2,
    index: 41,
    entries: [{ term: 3, index: 42, type: 'normal', data: new Uint8Array([1, 2, 3]) }],
    commit: 40,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: null,
    ...over,
  };
}

/** Every frame the reader yields for `chunks`, as [kind, body] pairs. */
function readAll(reader: FrameReader, chunks: Buffer[]): Buffer[] {
  const frames: Buffer[] = [];
  for (const c of chunks) {
    reader.push(c);
    let f: Buffer | null;
    while ((f = reader.next()) !== null) frames.push(Buffer.from(f));
  }
  return frames;
}

/** Splits `b` at the given cut points. */
function split(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

const sampleFrames = (): Buffer[] => [
  encodeHello({ clusterId: 'c1', from: 'n1', to: 'n2' }),
  encodePing(),
  encodeRequest(9, Buffer.from('forward me')),
  encodeResponse(9, true, Buffer.alloc(300, 7)),
  encodeRefuse('no'),
];

describe('frame reader', () => {
  it('hands out whole frames from one chunk as views, without copying', () => {
    const stream = Buffer.concat(sampleFrames());
    const reader = new FrameReader(1 << 20);
    reader.push(stream);
    const first = reader.next();
    assert.ok(first !== null);
    assert.equal(first.buffer, stream.buffer, 'a frame inside the chunk is a subarray');
    assert.equal(first[0], FrameKind.hello);
  });

  it('yields the same frames however the stream is split', () => {
    const frames = sampleFrames();
    const stream = Buffer.concat(frames);
    const expected = frames.map((f) => f.subarray(4));
    // Every single cut, then byte by byte.
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(readAll(new FrameReader(1 << 20), split(stream, [cut])), expected);
    }
    const bytes = [...stream].map((_, i) => stream.subarray(i, i + 1));
    assert.deepEqual(readAll(new FrameReader(1 << 20), bytes), expected);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        assert.deepEqual(readAll(new FrameReader(1 << 20), split(stream, cuts)), expected);
      }),
    );
  });

  it('refuses an oversized length before reading the body, naming the setting', () => {
    const reader = new FrameReader(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    reader.push(header.subarray(0, 2));
    assert.equal(reader.next(), null);
    reader.push(header.subarray(2));
    assert.throws(
      () => reader.next(),
      (e: Error) =>
        e instanceof FrameError &&
        /101 bytes exceeds the limit of 100 bytes \(maxFrameBytes\)/.test(e.message),
    );
    const exact = Buffer.alloc(104);
    exact.writeUInt32BE(100);
    assert.equal(
      readAll(new FrameReader(100), [exact]).length,
      1,
      'a frame of exactly the limit is fine',
    );
  });

  it('refuses an empty frame', () => {
    const reader = new FrameReader(100);
    reader.push(Buffer.alloc(4));
    assert.throws(() => reader.next(), FrameError);
  });

  it('accepts larger frames once the limit is raised (after the handshake)', () => {
    const big = encodeRequest(1, Buffer.alloc(5000));
    const reader = new FrameReader(4096);
    reader.push(big.subarray(0, 4));
    assert.throws(() => reader.next(), FrameError);
    const raised = new FrameReader(4096);
    raised.maxFrameBytes = 1 << 20;
    assert.equal(readAll(raised, split(big, [3, 100])).length, 1);
  });

  it('random bytes in random pieces only ever give frames or a FrameError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          const reader = new FrameReader(64);
          try {
            for (const f of readAll(reader, split(Buffer.from(bytes), cuts))) {
              assert.ok(f.length >= 1 && f.length <= 64);
            }
          } catch (e) {
            assert.ok(e instanceof FrameError, `unexpected ${String(e)}`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

const body = (frame: Buffer): Buffer => frame.subarray(5);

describe('frame bodies', () => {
  it('round-trip hello, welcome, refuse, request and response', () => {
    const hello = { clusterId: 'prod-eu', from: 'n1', to: 'ñ2' };
    assert.deepEqual(decodeHello(body(encodeHello(hello))), hello);
    assert.deepEqual(decodeHello(body(encodeHello({ ...hello, to: '' }))), { ...hello, to: '' });
    assert.equal(decodeWelcome(body(encodeWelcome('n3'))), 'n3');
    assert.equal(decodeRefuse(body(encodeRefuse('cluster id mismatch'))), 'cluster id mismatch');
    const req = decodeRequest(body(encodeRequest(0xffffffff, Buffer.from('payload'))));
    assert.equal(req.id, 0xffffffff);
    assert.equal(req.payload.toString(), 'payload');
    assert.deepEqual(decodeResponse(body(encodeResponse(5, true, Buffer.from('ok')))), {
      id: 5,
      ok: true,
      reply: Buffer.from('ok'),
    });
    assert.deepEqual(decodeResponse(body(encodeResponse(6, false, Buffer.from('not leader')))), {
      id: 6,
      ok: false,
      error: 'not leader',
    });
    assert.deepEqual(decodeRequest(body(encodeRequest(1, new Uint8Array(0)))).payload.length, 0);
  });

  it('round-trip a raft batch with its group ids, and part of a queue', () => {
    const msgs = [
      message(),
      message({ type: 'heartbeat', group: 0, entries: [] }),
      message({ group: 99, context: new Uint8Array([9]) }),
    ];
    const encoded = msgs.map(encodeMessage);
    const total = encoded.reduce((n, m) => n + m.length, 0);
    const frame = encodeRaftBatch(encoded, 0, 3, total);
    assert.equal(frame.length, raftFrameSize(3, total));
    assert.equal(frame[4], FrameKind.raft);
    const decoded = decodeRaftBatch(body(frame));
    assert.deepEqual(decoded.map(encodeMessage).map(Buffer.from), encoded.map(Buffer.from));
    assert.deepEqual(
      decoded.map((m) => m.group),
      [7, 0, 99],
    );
    const middle = decodeRaftBatch(
      body(encodeRaftBatch(encoded, 1, 2, (encoded[1] as Uint8Array).length)),
    );
    assert.equal(middle.length, 1);
    assert.equal(middle[0]?.type, 'heartbeat');
  });

  it('malformed bodies fail with a PeerProtocolError that says what is wrong', () => {
    const hello = body(encodeHello({ clusterId: 'c', from: 'a', to: 'b' }));
    const cases: [() => unknown, RegExp][] = [
      [
        () => decodeHello(hello.subarray(0, hello.length - 1)),
        /truncated hello frame: missing receiver id/,
      ],
      [() => decodeHello(Buffer.concat([hello, Buffer.from([0])])), /1 unexpected trailing bytes/],
      [
        () => decodeHello(Buffer.from([0, 2, 0xc3, 0x28, 0, 0, 0, 0])),
        /cluster id is not valid UTF-8/,
      ],
      [() => decodeResponse(Buffer.from([0, 0, 0, 1, 7])), /unknown status 7/],
      [() => decodeResponse(Buffer.from([0, 0, 0])), /truncated response frame/],
      [() => decodeRaftBatch(Buffer.from([0xff, 0xff, 0xff, 0xff])), /claims 4294967295 messages/],
      [
        () => decodeRaftBatch(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 1, 9])),
        /message 0 does not decode/,
      ],
      [
        () => decodeRaftBatch(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 1])),
        /truncated raft frame: missing message 0/,
      ],
    ];
    for (const [decode, re] of cases) {
      assert.throws(
        decode,
        (e: Error) => e instanceof PeerProtocolError && re.test(e.message),
        re.source,
      );
    }
  });

  it('random bodies only ever give PeerProtocolErrors', () => {
    const decoders = [
      decodeHello,
      decodeWelcome,
      decodeRaftBatch,
      decodeRequest,
      decodeResponse,
      decodeRefuse,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of decoders) {
          try {
            decode(Buffer.from(bytes));
          } catch (e) {
            assert.ok(e instanceof PeerProtocolError, `${decode.name}: unexpected ${String(e)}`);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('ids longer than 255 bytes cannot be encoded', () => {
    assert.throws(
      () => encodeHello({ clusterId: 'x'.repeat(256), from: 'a', to: 'b' }),
      RangeError,
    );
  });
});

describe('handshake checks', () => {
  it('accepts its own preamble', () => {
    assert.equal(preambleProblem(encodePreamble()), null);
  });

  it('names what a foreign client sent', () => {
    assert.match(
      preambleProblem(Buffer.from('GET / ')) ?? '',
      /not the distdb peer protocol: the first bytes are an HTTP message \("GET \/ "\)/,
    );
    assert.match(
      preambleProblem(Buffer.from('*1\r\n$4')) ?? '',
      /a RESP or text command.*"\*1\.\.\$4"/,
    );
    assert.match(preambleProblem(Buffer.from('PING\r\n')) ?? '', /RESP or text command/);
    assert.match(preambleProblem(Buffer.from([0x16, 3, 1, 0, 0, 0])) ?? '', /a TLS handshake/);
    assert.match(
      preambleProblem(Buffer.from([0, 1, 2, 3, 4, 5])) ?? '',
      /unknown bytes \(hex 000102030405\)/,
    );
  });

  it('refuses another protocol version, saying what to do', () => {
    assert.match(
      preambleProblem(encodePreamble(PROTOCOL_VERSION + 1)) ?? '',
      new RegExp(
        `speaks version ${PROTOCOL_VERSION + 1}, the other ${PROTOCOL_VERSION}; run the same distdb version`,
      ),
    );
  });

  it('checks cluster id, sender and expected receiver', () => {
    const self = { nodeId: 'n1', clusterId: 'alpha' };
    assert.equal(helloProblem({ clusterId: 'alpha', from: 'n2', to: 'n1' }, self), null);
    assert.equal(
      helloProblem({ clusterId: 'alpha', from: 'n9', to: '' }, self),
      null,
      'a join dial names no receiver',
    );
    assert.match(
      helloProblem({ clusterId: 'beta', from: 'n2', to: 'n1' }, self) ?? '',
      /cluster id mismatch: the dialling node "n2" is in cluster "beta" but node "n1" is in cluster "alpha"; check --cluster-id/,
    );
    assert.match(
      helloProblem({ clusterId: 'alpha', from: 'n2', to: 'n3' }, self) ?? '',
      /wrong node: .* expected node "n3" at this address, but this is node "n1"; check the address given for "n3" in --peers/,
    );
    assert.match(
      helloProblem({ clusterId: 'alpha', from: 'n1', to: 'n1' }, self) ?? '',
      /duplicate node id/,
    );
    assert.match(
      helloProblem({ clusterId: 'alpha', from: '', to: 'n1' }, self) ?? '',
      /empty node id/,
    );
  });
});

describe('peer settings', () => {
  it('defaults are valid; bad limits are explained', () => {
    assert.equal(peerLimitsProblem({ ...DEFAULT_PEER_LIMITS }), null);
    assert.match(
      peerLimitsProblem({ ...DEFAULT_PEER_LIMITS, maxQueueMessages: 0 }) ?? '',
      /maxQueueMessages must be a positive integer/,
    );
    assert.match(
      peerLimitsProblem({ ...DEFAULT_PEER_LIMITS, maxFrameBytes: 100 }) ?? '',
      /maxFrameBytes must be at least 4096/,
    );
    assert.match(
      peerLimitsProblem({ ...DEFAULT_PEER_LIMITS, idleTimeoutMs: 1000 }) ?? '',
      /idleTimeoutMs .* must exceed heartbeatIntervalMs/,
    );
    assert.match(
      peerLimitsProblem({ ...DEFAULT_PEER_LIMITS, writeBufferBytes: 100 }) ?? '',
      /writeBufferBytes must be at least 16384/,
    );
    const typo = { ...DEFAULT_PEER_LIMITS, maxFrameSize: 5 } as PeerLimits;
    assert.match(
      peerLimitsProblem(typo) ?? '',
      /unknown peer limit maxFrameSize; the limits are maxFrameBytes, /,
    );
    assert.match(
      peerLimitsProblem({ ...DEFAULT_PEER_LIMITS, backoffMaxMs: 10 }) ?? '',
      /backoffMaxMs/,
    );
  });

  it('parses peer addresses', () => {
    assert.deepEqual(parsePeerAddress('127.0.0.12:7400', 'n2'), { host: '127.0.0.12', port: 7400 });
    assert.deepEqual(parsePeerAddress('[::1]:7400', 'n2'), { host: '::1', port: 7400 });
    assert.deepEqual(parsePeerAddress('db-2.local:1', 'n2'), { host: 'db-2.local', port: 1 });
    assert.throws(
      () => parsePeerAddress('127.0.0.1', 'peer n2'),
      /bad address "127.0.0.1" for peer n2: cannot split/,
    );
    assert.throws(() => parsePeerAddress('h:70000', 'peer n2'), /port must be 1-65535/);
    assert.throws(() => parsePeerAddress('::1:80', 'peer n2'), /cannot split/);
  });
});
