// The fuzz properties, shared by `npm test` (test/unit/fuzz-*.test.ts, 1,500
// runs each) and the soak (`npm run fuzz -- --seconds N`, as many
// runs as time allows). Each wire decoder gets three properties:
//   bytes      arbitrary bytes, split anywhere
//   mutated    valid input with bytes flipped, overwritten (lengths too),
//              inserted, deleted, cut short or replayed, split anywhere
//   roundtrip  valid input, split anywhere, decodes to exactly what was sent
// For the first two, the only exception allowed is the module's own protocol
// error, and the decoder must make progress: it never returns more values
// than it was given bytes (a decoder that loops without consuming would).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { RespProtocolError } from '../../src/resp/protocol-error.js';
import { encodeReply } from '../../src/resp/reply-encoder.js';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { RequestParser, type RequestLimits } from '../../src/resp/request-parser.js';
import type { RespValue } from '../../src/resp/types.js';
import {
  FrameDecoder,
  FrameError,
  FrameWriter,
  PayloadError,
  PayloadReader,
  type Frame,
} from '../../src/storage/frame-codec.js';
import { Op } from '../../src/storage/protocol.js';
import { ImageParser } from '../../src/storage/state-image.js';
import {
  decodeProposal,
  decodeResult,
  encodeProposal,
  encodeResult,
  KvCodecError,
} from '../../src/kv/codec.js';
import type { KvResult, Proposal } from '../../src/kv/types.js';
import { FrameError as PeerFrameError, FrameReader } from '../../src/peer/frame-reader.js';
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
} from '../../src/peer/frames.js';
import { decodeMessage, encodeMessage, RaftCodecError } from '../../src/raft/codec.js';
import type { Message } from '../../src/raft/types.js';
import { message } from './raft-arbitraries.js';

export interface FuzzTarget {
  name: string;
  property(): fc.IRawProperty<unknown>;
}

// ---------------------------------------------------------------- mutations

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'replay'; at: number; count: number };

/** Lengths an attacker would declare: zero, off by one, huge, sign-bit. */
const NASTY_U32 = [0, 1, 2, 4, 8, 9, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 1 << 20];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...NASTY_U32), fc.nat()),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(...['\r\n', '\r', '\n', '*', '$', '-1', '*-1\r\n', '"', "'"].map(bytesOf)),
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('replay' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 64 }),
  }),
);

function bytesOf(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

function applyMutation(b: Buffer, m: Mutation): Buffer {
  if (b.length === 0) return m.kind === 'insert' ? Buffer.from(m.bytes) : b;
  const at = m.at % b.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(b);
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case 'u32': {
      const out = Buffer.from(b);
      const tmp = Buffer.alloc(4);
      tmp.writeUInt32BE(m.value >>> 0);
      tmp.copy(out, at, 0, Math.min(4, out.length - at));
      return out;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
    case 'truncate':
      return b.subarray(0, at);
    case 'replay':
      // A stretch of the stream sent twice, as a replaying attacker (or a
      // retransmitting middlebox) would.
      return Buffer.concat([b.subarray(0, at + m.count), b.subarray(at)]);
  }
}

/** `valid` with up to four mutations applied. */
function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([b, ms]) => ms.reduce(applyMutation, b));
}

/** Cut points, as given to `split`. */
const cuts = fc.array(fc.nat(), { maxLength: 8 });

/** `b` split at the given points (taken modulo its length), as TCP may deliver it. */
function split(b: Buffer, at: number[]): Buffer[] {
  if (b.length === 0) return [];
  const points = [...new Set(at.map((p) => p % b.length))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(b.subarray(from, p));
    from = Math.max(from, p);
  }
  out.push(b.subarray(from));
  // Copies: decoders may keep views, and a later mutation must not alter them.
  return out.map((c) => Buffer.from(c));
}

/** Runs `decode`, allowing only the listed error classes; returns what it decoded. */
function onlyErrors<T>(
  allowed: Array<abstract new (...a: never[]) => Error>,
  decode: () => T,
): T | null {
  try {
    return decode();
  } catch (err) {
    if (allowed.some((E) => err instanceof E)) return null;
    throw err;
  }
}

function assertProgress(values: number, bytes: number): void {
  assert.ok(values <= bytes + 1, `decoded ${values} values from ${bytes} bytes: no progress`);
}

// ------------------------------------------------------------ RESP requests

/** Small limits, so fuzz inputs reach every limit check. */
export const FUZZ_REQUEST_LIMITS: RequestLimits = {
  maxInlineLength: 64,
  maxBulkLength: 48,
  maxMultibulkLength: 8,
  maxRequestSize: 600,
};

/** Feeds chunks to a request parser the way a connection does; returns the commands. */
function parseRequests(chunks: Buffer[]): Buffer[][] {
  const p = new RequestParser(FUZZ_REQUEST_LIMITS);
  const commands: Buffer[][] = [];
  let bytes = 0;
  for (const c of chunks) {
    p.push(c);
    bytes += c.length;
    for (let cmd = p.next(); cmd !== null; cmd = p.next()) {
      commands.push(cmd);
      assertProgress(commands.length, bytes);
    }
    // What is held is bounded by the limits, however the bytes arrive.
    const { maxInlineLength, maxBulkLength } = FUZZ_REQUEST_LIMITS;
    assert.ok(
      p.buffered <= Math.max(maxInlineLength, maxBulkLength + 2),
      `holds ${p.buffered} bytes`,
    );
  }
  return commands;
}

const word = fc.stringMatching(/^[A-Za-z0-9:_-]{1,10}$/);
// Within FUZZ_REQUEST_LIMITS, so valid streams never hit a limit: at most 4
// arguments of 24 bytes (plus headers and ARGUMENT_COST_BYTES each), and 5
// words of 10 on a 64-byte line.
const multibulkCommand = fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 4 });
const inlineCommand = fc.array(word, { minLength: 1, maxLength: 5 });
type RequestCommand =
  { form: 'multibulk'; args: Uint8Array[] } | { form: 'inline'; args: string[] };
const requestCommand: fc.Arbitrary<RequestCommand> = fc.oneof(
  multibulkCommand.map((args) => ({ form: 'multibulk' as const, args })),
  inlineCommand.map((args) => ({ form: 'inline' as const, args })),
);
const requestStream = fc.array(requestCommand, { minLength: 1, maxLength: 6 });

function encodeRequests(cmds: RequestCommand[]): Buffer {
  return Buffer.concat(
    cmds.map((c) =>
      c.form === 'multibulk' ? encodeCommand(c.args) : Buffer.from(`${c.args.join(' ')}\r\n`),
    ),
  );
}

function requestTargets(): FuzzTarget[] {
  const fuzz = (input: Buffer, at: number[]): void => {
    onlyErrors([RespProtocolError], () => parseRequests(split(input, at)));
  };
  return [
    {
      name: 'resp-request-bytes',
      property: () =>
        fc.property(fc.uint8Array({ maxLength: 300 }), cuts, (b, at) => fuzz(Buffer.from(b), at)),
    },
    {
      name: 'resp-request-mutated',
      property: () => fc.property(mutated(requestStream.map(encodeRequests)), cuts, fuzz),
    },
    {
      name: 'resp-request-roundtrip',
      property: () =>
        fc.property(requestStream, cuts, (cmds, at) => {
          const got = parseRequests(split(encodeRequests(cmds), at));
          assert.deepEqual(
            got.map((args) => args.map((a) => a.toString('hex'))),
            cmds.map((c) => c.args.map((a) => Buffer.from(a).toString('hex'))),
          );
        }),
    },
  ];
}

// ------------------------------------------------------------- RESP replies

const simpleText = fc.stringMatching(/^[ -~]{0,20}$/);
const respLeaf: fc.Arbitrary<RespValue> = fc.oneof(
  simpleText.map((value) => ({ type: 'simple' as const, value })),
  simpleText.map((value) => ({ type: 'error' as const, value: `ERR ${value}` })),
  fc.oneof(fc.maxSafeInteger(), fc.bigInt()).map((value) => ({ type: 'integer' as const, value })),
  fc
    .option(fc.uint8Array({ maxLength: 40 }), { nil: null })
    .map((value) => ({ type: 'bulk' as const, value })),
  fc.constant({ type: 'null' as const }),
  fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
  fc.integer().map((value) => ({ type: 'double' as const, value })),
  simpleText.map((value) => ({ type: 'verbatim' as const, format: 'txt', value })),
);
const respValue: fc.Arbitrary<RespValue> = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    respLeaf,
    fc.array(tie('value'), { maxLength: 4 }).map((value) => ({ type: 'array' as const, value })),
    fc.constant({ type: 'array' as const, value: null }),
    fc.array(tie('value'), { maxLength: 3 }).map((value) => ({ type: 'set' as const, value })),
    fc.array(tie('value'), { maxLength: 3 }).map((value) => ({ type: 'push' as const, value })),
    fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
      .map((value) => ({ type: 'map' as const, value })),
  ),
})).value;
const replyStream = fc.array(respValue, { minLength: 1, maxLength: 5 });

function parseReplies(chunks: Buffer[]): RespValue[] {
  const p = new ReplyParser({ maxBulkLength: 64, maxAggregateLength: 16, maxLineLength: 128 });
  const values: RespValue[] = [];
  let bytes = 0;
  for (const c of chunks) {
    p.push(c);
    bytes += c.length;
    for (let v = p.next(); v !== null; v = p.next()) {
      values.push(v);
      assertProgress(values.length, bytes);
    }
  }
  return values;
}

function encodeReplies(values: RespValue[]): Buffer {
  return Buffer.concat(values.map((v) => encodeReply(v, 3)));
}

function replyTargets(): FuzzTarget[] {
  const fuzz = (input: Buffer, at: number[]): void => {
    onlyErrors([RespProtocolError], () => parseReplies(split(input, at)));
  };
  return [
    {
      name: 'resp-reply-bytes',
      property: () =>
        fc.property(fc.uint8Array({ maxLength: 300 }), cuts, (b, at) => fuzz(Buffer.from(b), at)),
    },
    {
      name: 'resp-reply-mutated',
      property: () => fc.property(mutated(replyStream.map(encodeReplies)), cuts, fuzz),
    },
    {
      name: 'resp-reply-roundtrip',
      // Parsed and encoded again, the bytes are the ones sent (RESP3 encoding is canonical).
      property: () =>
        fc.property(replyStream, cuts, (values, at) => {
          const sent = encodeReplies(values);
          const got = parseReplies(split(sent, at));
          assert.equal(got.length, values.length);
          assert.equal(encodeReplies(got).toString('hex'), sent.toString('hex'));
        }),
    },
  ];
}

// ----------------------------------------------------- storage frame codec

const key = fc.uint8Array({ minLength: 1, maxLength: 16 });
const val = fc.uint8Array({ maxLength: 32 });
const proposal: fc.Arbitrary<Proposal> = fc.record(
  {
    session: fc.record({ clientId: fc.string({ maxLength: 12 }), seq: fc.maxSafeNat() }),
    command: fc.oneof(
      fc.record({ op: fc.constant('put' as const), key, value: val }),
      fc.record({
        op: fc.constant('del' as const),
        keys: fc.array(key, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        op: fc.constant('mset' as const),
        pairs: fc.array(fc.tuple(key, val), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        op: fc.constant('cas' as const),
        key,
        expected: fc.option(val, { nil: null }),
        value: val,
      }),
      fc.record({
        op: fc.constant('incr' as const),
        key,
        by: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
      }),
      fc.record({ op: fc.constant('append' as const), key, value: val, maxLength: fc.nat() }),
      fc.record({ op: fc.constant('getdel' as const), key }),
      fc.constant({ op: 'noop' as const }),
    ),
  },
  { requiredKeys: ['command'] },
);
const kvResult: fc.Arbitrary<KvResult> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    written: fc.boolean(),
    old: fc.option(val, { nil: null }),
  }),
  fc.record({ op: fc.constant('del' as const), deleted: fc.nat(1000) }),
  fc.constant({ op: 'mset' as const }),
  fc.record({
    op: fc.constant('cas' as const),
    swapped: fc.boolean(),
    current: fc.option(val, { nil: null }),
  }),
  fc.constant({ op: 'noop' as const }),
  fc.constant({ op: 'session-expired' as const }),
  fc.record({ op: fc.constant('incr' as const), value: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n) }),
  fc.record({ op: fc.constant('append' as const), length: fc.nat() }),
  fc.record({ op: fc.constant('getdel' as const), old: fc.option(val, { nil: null }) }),
  fc.record({
    op: fc.constant('refused' as const),
    reason: fc.constantFrom('not-an-integer' as const, 'overflow' as const, 'too-long' as const),
  }),
);

/** Coordinator → engine: apply requests carrying encoded proposals (the layout connection.ts reads). */
const applyRequest = fc
  .tuple(fc.nat(0xffffffff), fc.nat(0xffff), fc.maxSafeNat(), fc.array(proposal, { maxLength: 4 }))
  .map(([id, group, applied, ps]) => {
    const w = new FrameWriter(id, Op.apply, group).u64(applied).u32(ps.length);
    for (const p of ps) w.bytes(encodeProposal(p));
    return w.finish();
  });
/** Engine → coordinator: apply replies carrying encoded results. */
const applyReply = fc
  .tuple(fc.nat(0xffffffff), fc.nat(0xffff), fc.array(kvResult, { maxLength: 4 }))
  .map(([id, group, rs]) => {
    const w = new FrameWriter(id, Op.apply, group).u32(rs.length);
    for (const r of rs) w.bytes(encodeResult(r));
    return w.finish();
  });
/** Either direction, any op: raw payloads. */
const rawFrame = fc
  .record({
    requestId: fc.nat(0xffffffff),
    op: fc.nat(255),
    group: fc.nat(0xffffffff),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map((f) => new FrameWriter(f.requestId, f.op, f.group).raw(f.payload).finish());
const storageStream = fc
  .array(fc.oneof(applyRequest, applyReply, rawFrame), { minLength: 1, maxLength: 5 })
  .map((frames) => Buffer.concat(frames));

const STORAGE_FUZZ_MAX_FRAME = 512;

function decodeStorageFrames(chunks: Buffer[]): Frame[] {
  const d = new FrameDecoder(STORAGE_FUZZ_MAX_FRAME);
  const frames: Frame[] = [];
  let bytes = 0;
  for (const c of chunks) {
    bytes += c.length;
    d.push(c, (f) => frames.push(f));
    assertProgress(frames.length, bytes);
    assert.ok(d.buffered <= STORAGE_FUZZ_MAX_FRAME, `decoder holds ${d.buffered} bytes`);
  }
  return frames;
}

/** Decodes an apply payload either way, as the engine and the client do; only payload errors. */
function decodeApplyPayloads(f: Frame): void {
  const payload = f.payload;
  onlyErrors([PayloadError, KvCodecError], () => {
    // As a request: appliedIndex, count, proposals.
    const r = new PayloadReader(payload);
    r.u64();
    const n = r.u32();
    for (let i = 0; i < n && r.remaining > 0; i++) decodeProposal(r.bytes());
  });
  onlyErrors([PayloadError, KvCodecError], () => {
    // As a reply: count, results.
    const r = new PayloadReader(payload);
    const n = r.u32();
    for (let i = 0; i < n && r.remaining > 0; i++) decodeResult(r.bytes());
  });
  onlyErrors([PayloadError], () => {
    // As a state-image chunk (the install stream), then as its end.
    const image = new ImageParser();
    image.push(payload);
    image.end();
  });
}

function storageTargets(): FuzzTarget[] {
  const fuzz = (input: Buffer, at: number[]): void => {
    const frames = onlyErrors([FrameError], () => decodeStorageFrames(split(input, at))) ?? [];
    for (const f of frames) decodeApplyPayloads(f);
  };
  return [
    {
      name: 'storage-frame-bytes',
      property: () =>
        fc.property(fc.uint8Array({ maxLength: 300 }), cuts, (b, at) => fuzz(Buffer.from(b), at)),
    },
    {
      name: 'storage-frame-mutated',
      property: () => fc.property(mutated(storageStream), cuts, fuzz),
    },
    {
      name: 'storage-frame-roundtrip',
      property: () =>
        fc.property(
          fc.array(fc.tuple(proposal, kvResult, fc.nat(0xffffffff), fc.nat(0xffffffff)), {
            minLength: 1,
            maxLength: 4,
          }),
          cuts,
          (items, at) => {
            // Each item: a request frame carrying the proposal, a reply frame carrying the result.
            const sent = Buffer.concat(
              items.flatMap(([p, r, id, group]) => [
                new FrameWriter(id, Op.apply, group).bytes(encodeProposal(p)).finish(),
                new FrameWriter(id, Op.apply, group).bytes(encodeResult(r)).finish(),
              ]),
            );
            const frames = decodeStorageFrames(split(sent, at));
            assert.equal(frames.length, items.length * 2);
            items.forEach(([p, r, id, group], i) => {
              const req = frames[2 * i] as Frame;
              const rep = frames[2 * i + 1] as Frame;
              for (const f of [req, rep]) {
                assert.equal(f.requestId, id);
                assert.equal(f.op, Op.apply);
                assert.equal(f.group, group);
              }
              const inner = (f: Frame): Buffer => new PayloadReader(f.payload).bytes();
              assert.deepEqual(encodeProposal(decodeProposal(inner(req))), encodeProposal(p));
              assert.deepEqual(encodeResult(decodeResult(inner(rep))), encodeResult(r));
            });
          },
        ),
    },
  ];
}

// ------------------------------------------------------ peer message codec

// Node ids in hello frames: what --id accepts.
const nodeId = fc.stringMatching(/^[a-z0-9]{1,8}$/);

function raftFrame(messages: Message[]): Buffer {
  const encoded = messages.map(encodeMessage);
  return encodeRaftBatch(
    encoded,
    0,
    encoded.length,
    encoded.reduce((n, m) => n + m.length, 0),
  );
}

const peerFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .record({ clusterId: nodeId, from: nodeId, to: fc.oneof(nodeId, fc.constant('')) })
    .map(encodeHello),
  nodeId.map(encodeWelcome),
  fc.string({ maxLength: 40 }).map(encodeRefuse),
  fc.constant(null).map(() => encodePing()),
  fc.array(message, { maxLength: 3 }).map(raftFrame),
  fc
    .tuple(fc.nat(0xffffffff), fc.uint8Array({ maxLength: 40 }))
    .map(([id, p]) => encodeRequest(id, p)),
  fc
    .tuple(fc.nat(0xffffffff), fc.boolean(), fc.uint8Array({ maxLength: 40 }))
    .map(([id, ok, d]) => encodeResponse(id, ok, d)),
);
const peerStream = fc
  .array(peerFrame, { minLength: 1, maxLength: 5 })
  .map((fs) => Buffer.concat(fs));

// Above the largest batch the roundtrip generates (3 messages of up to ~1.2 kB), so only
// mutated lengths reach the limit.
const PEER_FUZZ_MAX_FRAME = 8192;

/** Splits into frames and decodes each body by its kind, as the inbound and outbound sides do. */
function decodePeerStream(chunks: Buffer[]): unknown[] {
  const reader = new FrameReader(PEER_FUZZ_MAX_FRAME);
  const decoded: unknown[] = [];
  let bytes = 0;
  for (const c of chunks) {
    reader.push(c);
    bytes += c.length;
    for (let frame = reader.next(); frame !== null; frame = reader.next()) {
      decoded.push(decodePeerBody(frame[0] as number, frame.subarray(1)));
      assertProgress(decoded.length, bytes);
    }
  }
  return decoded;
}

function decodePeerBody(kind: number, body: Buffer): unknown {
  switch (kind) {
    case FrameKind.hello:
      return decodeHello(body);
    case FrameKind.welcome:
      return decodeWelcome(body);
    case FrameKind.refuse:
      return decodeRefuse(body);
    case FrameKind.raft:
      return decodeRaftBatch(body);
    case FrameKind.request:
      return decodeRequest(body);
    case FrameKind.response:
      return decodeResponse(body);
    case FrameKind.ping:
      return 'ping';
    default:
      throw new PeerProtocolError(`unknown frame kind ${kind}`);
  }
}

function peerTargets(): FuzzTarget[] {
  const fuzz = (input: Buffer, at: number[]): void => {
    onlyErrors([PeerFrameError, PeerProtocolError], () => decodePeerStream(split(input, at)));
  };
  return [
    {
      name: 'peer-frame-bytes',
      property: () =>
        fc.property(fc.uint8Array({ maxLength: 300 }), cuts, (b, at) => fuzz(Buffer.from(b), at)),
    },
    {
      name: 'peer-frame-mutated',
      property: () => fc.property(mutated(peerStream), cuts, fuzz),
    },
    {
      name: 'raft-message-mutated',
      // The raft codec alone, under the peer frame: only RaftCodecError.
      property: () =>
        fc.property(mutated(message.map((m) => Buffer.from(encodeMessage(m)))), (b) => {
          onlyErrors([RaftCodecError], () => decodeMessage(b));
        }),
    },
    {
      name: 'peer-frame-roundtrip',
      property: () =>
        fc.property(
          fc.array(fc.array(message, { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
          cuts,
          (batches, at) => {
            const got = decodePeerStream(split(Buffer.concat(batches.map(raftFrame)), at));
            assert.equal(got.length, batches.length);
            got.forEach((decoded, i) => {
              const sent = batches[i] as Message[];
              const back = decoded as Message[];
              assert.equal(back.length, sent.length);
              back.forEach((m, j) =>
                assert.deepEqual(encodeMessage(m), encodeMessage(sent[j] as Message)),
              );
            });
          },
        ),
    },
  ];
}

/** Every target, by name. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  ...requestTargets(),
  ...replyTargets(),
  ...storageTargets(),
  ...peerTargets(),
];

/** Targets whose name starts with `prefix`. */
export function fuzzTargets(prefix: string): FuzzTarget[] {
  return FUZZ_TARGETS.filter((t) => t.name.startsWith(prefix));
}
