import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  SnapshotChunk,
  SnapshotMetadata,
} from './types.js';
import { ByteReader, ByteWriter, RaftCodecError } from './wire.js';

export { RaftCodecError } from './wire.js';

/**
 * Binary encodings of the raft records, for the peer transport and storage.
 * Every record starts with a version byte and a kind byte so a reader can
 * refuse what it does not understand; integers are big-endian; byte fields
 * and strings are length-prefixed; trailing bytes are an error.
 */
export const CODEC_VERSION = 1;

const KIND = { message: 1, entry: 2, hardState: 3, snapshotMetadata: 4, confChange: 5 } as const;
type Kind = keyof typeof KIND;

/** Every message type, in wire-tag order (tests draw from it too). */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'append',
  'append-response',
  'vote',
  'vote-response',
  'pre-vote',
  'pre-vote-response',
  'heartbeat',
  'heartbeat-response',
  'snapshot',
  'snapshot-response',
  'timeout-now',
  'read-index',
  'read-index-response',
];
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change'];
const CONF_CHANGE_TYPES: readonly ConfChangeType[] = ['add-learner', 'add-voter', 'remove'];

function tag<T>(values: readonly T[], v: T, what: string): number {
  const i = values.indexOf(v);
  if (i < 0) throw new RaftCodecError(`cannot encode ${what} ${String(v)}`);
  return i;
}

function untag<T>(values: readonly T[], r: ByteReader, what: string): T {
  const i = r.u8(what);
  const v = values[i];
  if (v === undefined) throw new RaftCodecError(`unknown ${what} tag ${i}`);
  return v;
}

function begin(kind: Kind, sizeHint = 64): ByteWriter {
  const w = new ByteWriter(sizeHint);
  w.u8(CODEC_VERSION);
  w.u8(KIND[kind]);
  return w;
}

/** Opens a record of `kind`, reads it, and refuses trailing bytes: every decoder goes through here. */
function decode<T>(bytes: Uint8Array, kind: Kind, read: (r: ByteReader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new RaftCodecError(`${kind}: input is not bytes`);
  const r = new ByteReader(bytes);
  const version = r.u8('version');
  if (version !== CODEC_VERSION) {
    throw new RaftCodecError(
      `${kind}: unsupported codec version ${version} (expected ${CODEC_VERSION})`,
    );
  }
  const k = r.u8('kind');
  if (k !== KIND[kind]) throw new RaftCodecError(`expected a ${kind} record, got kind ${k}`);
  const v = read(r);
  r.end(kind);
  return v;
}

function writeEntry(w: ByteWriter, e: Entry): void {
  w.uint(e.term);
  w.uint(e.index);
  w.u8(tag(ENTRY_TYPES, e.type, 'entry type'));
  w.bytes(e.data);
}

function readEntry(r: ByteReader): Entry {
  const term = r.uint('entry term');
  const index = r.uint('entry index');
  const type = untag(ENTRY_TYPES, r, 'entry type');
  return { term, index, type, data: r.bytes('entry data') };
}

function writeIds(w: ByteWriter, ids: string[]): void {
  w.u32(ids.length);
  for (const id of ids) w.string(id);
}

function readIds(r: ByteReader, what: string): string[] {
  const n = r.count(what, 4);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(r.string(what));
  return ids;
}

function writeMetadata(w: ByteWriter, m: SnapshotMetadata): void {
  w.uint(m.index);
  w.uint(m.term);
  writeIds(w, m.conf.voters);
  writeIds(w, m.conf.learners);
}

function readMetadata(r: ByteReader): SnapshotMetadata {
  const index = r.uint('snapshot index');
  const term = r.uint('snapshot term');
  const conf: ConfState = { voters: readIds(r, 'voters'), learners: readIds(r, 'learners') };
  return { index, term, conf };
}

function writeNullableBytes(w: ByteWriter, v: Uint8Array | null): void {
  w.bool(v !== null);
  if (v !== null) w.bytes(v);
}

function readNullableBytes(r: ByteReader, what: string): Uint8Array | null {
  return r.bool(`${what} present`) ? r.bytes(what) : null;
}

export function encodeMessage(m: Message): Uint8Array {
  // Size the buffer once for the payload, so a large append is not regrown.
  let hint = 128 + (m.snapshot?.data.length ?? 0) + (m.context?.length ?? 0);
  for (const e of m.entries) hint += 32 + e.data.length;
  const w = begin('message', hint);
  w.u8(tag(MESSAGE_TYPES, m.type, 'message type'));
  w.uint(m.group);
  w.string(m.from);
  w.string(m.to);
  w.uint(m.term);
  w.uint(m.logTerm);
  w.uint(m.index);
  w.u32(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  w.uint(m.commit);
  w.bool(m.reject);
  w.uint(m.rejectHint);
  w.bool(m.snapshot !== null);
  if (m.snapshot !== null) {
    writeMetadata(w, m.snapshot.metadata);
    w.uint(m.snapshot.offset);
    w.uint(m.snapshot.total);
    w.bytes(m.snapshot.data);
  }
  writeNullableBytes(w, m.context);
  return w.finish();
}

export function decodeMessage(bytes: Uint8Array): Message {
  return decode(bytes, 'message', readMessage);
}

function readMessage(r: ByteReader): Message {
  const type = untag(MESSAGE_TYPES, r, 'message type');
  const group = r.uint('group');
  const from = r.string('from');
  const to = r.string('to');
  const term = r.uint('term');
  const logTerm = r.uint('logTerm');
  const index = r.uint('index');
  const n = r.count('entries', 21);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  const commit = r.uint('commit');
  const reject = r.bool('reject');
  const rejectHint = r.uint('rejectHint');
  let snapshot: SnapshotChunk | null = null;
  if (r.bool('snapshot present')) {
    const metadata = readMetadata(r);
    const offset = r.uint('snapshot offset');
    const total = r.uint('snapshot total');
    snapshot = { metadata, offset, total, data: r.bytes('snapshot data') };
  }
  const context = readNullableBytes(r, 'context');
  return {
    type,
    group,
    from,
    to,
    term,
    logTerm,
    index,
    entries,
    commit,
    reject,
    rejectHint,
    snapshot,
    context,
  };
}

export function encodeEntry(e: Entry): Uint8Array {
  return encodeEntries([e])[0]!;
}

/** Bytes of an entry record besides its data: version, kind, term, index, type, data length. */
const ENTRY_RECORD_OVERHEAD = 2 + 8 + 8 + 1 + 4;

/**
 * Each entry's record, as encodeEntry writes it, all in one buffer: a batch
 * costs one allocation, not a writer, a buffer and a view per entry. The
 * records are views into that buffer; keep them only as long as the batch.
 */
export function encodeEntries(entries: readonly Entry[]): Uint8Array[] {
  let size = 0;
  for (const e of entries) size += ENTRY_RECORD_OVERHEAD + e.data.length;
  const w = new ByteWriter(size);
  const ends: number[] = [];
  for (const e of entries) {
    w.u8(CODEC_VERSION);
    w.u8(KIND.entry);
    writeEntry(w, e);
    ends.push(w.length);
  }
  const all = w.finish();
  let start = 0;
  return ends.map((end) => all.subarray(start, (start = end)));
}

export function decodeEntry(bytes: Uint8Array): Entry {
  return decode(bytes, 'entry', readEntry);
}

export function encodeHardState(h: HardState): Uint8Array {
  const w = begin('hardState');
  w.uint(h.term);
  w.bool(h.vote !== null);
  if (h.vote !== null) w.string(h.vote);
  w.uint(h.commit);
  return w.finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  return decode(bytes, 'hardState', (r) => {
    const term = r.uint('term');
    const vote = r.bool('vote present') ? r.string('vote') : null;
    return { term, vote, commit: r.uint('commit') };
  });
}

export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  const w = begin('snapshotMetadata');
  writeMetadata(w, m);
  return w.finish();
}

export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  return decode(bytes, 'snapshotMetadata', readMetadata);
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = begin('confChange');
  w.u8(tag(CONF_CHANGE_TYPES, cc.type, 'conf change type'));
  w.string(cc.node);
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  return decode(bytes, 'confChange', (r) => {
    const type = untag(CONF_CHANGE_TYPES, r, 'conf change type');
    const node = r.string('node');
    return { type, node, context: r.bytes('conf change context') };
  });
}
