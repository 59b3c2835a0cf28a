// A client history: what each client asked, when, and what it saw. The
// simulator and real-process tests record one with HistoryRecorder; the
// linearizability checker judges it. It serializes to JSON so that a failing
// test can leave the history behind as a file.

/**
 * A register value as the checker compares it: a string, or null for
 * "absent". Binary values go through bytesToValue (latin1: one char per byte,
 * so distinct byte strings stay distinct and JSON keeps them exactly).
 */
export type Value = string | null;

/** 'ok': returned with a result. 'fail': definitely did not take effect.
 *  'unknown': never returned or timed out; may take effect at any time after
 *  its invocation, or never. */
export type OpStatus = 'ok' | 'fail' | 'unknown';

interface OpBase {
  /** Unique within the history; the order of invocation. */
  id: number;
  client: string;
  key: string;
  invokeTime: number;
  status: OpStatus;
  /** Present for 'ok' and 'fail'. */
  returnTime?: number;
}

export type Operation = OpBase &
  (
    | { kind: 'get'; /** What the get returned (status 'ok' only). */ observed?: Value }
    /** A put of null is a delete. */
    | { kind: 'put'; value: Value }
    | {
        kind: 'cas';
        expected: Value;
        value: Value;
        /** Whether the swap happened (status 'ok' only). */
        swapped?: boolean;
      }
    /** INCRBY: an absent value counts as 0; a value that is not a 64-bit
     *  integer makes it fail with no effect. */
    | {
        kind: 'incr';
        delta: number;
        /** The value after the increment, in decimal (status 'ok' only). */
        result?: string;
      }
  );

/** What a client asks; bytes are accepted and converted with bytesToValue. */
export type OpInput =
  | { kind: 'get'; key: string | Uint8Array }
  | { kind: 'put'; key: string | Uint8Array; value: Value | Uint8Array }
  | {
      kind: 'cas';
      key: string | Uint8Array;
      expected: Value | Uint8Array;
      value: Value | Uint8Array;
    }
  | { kind: 'incr'; key: string | Uint8Array; delta: number };

/** An operation in flight. Exactly one of ok / fail / timeout may be called. */
export interface OpHandle<R> {
  readonly id: number;
  /** The operation returned this result (get: the value; cas: swapped; incr: the new value; put: nothing). */
  ok(result: R): void;
  /** The operation definitely did not take effect (e.g. refused before proposing). */
  fail(): void;
  /** No answer: the operation may or may not take effect, at any later time. */
  timeout(): void;
}

/** Thrown for a history that cannot be read (bad JSON, missing or ill-typed fields). */
export class HistoryError extends Error {
  override name = 'HistoryError';
}

/** Bytes → Value, injective (latin1). */
export function bytesToValue(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function toValue(v: Value | Uint8Array): Value {
  return v instanceof Uint8Array ? bytesToValue(v) : v;
}

const HISTORY_FORMAT_VERSION = 1;

export interface HistoryFile {
  format: 'distdb-history';
  version: number;
  ops: Operation[];
}

/**
 * Records operations as clients perform them. Times come from `now`; the
 * default is a counter that advances on every event, which orders events
 * exactly as they were recorded (what linearizability needs) and never ties.
 * Pass the simulator's clock or performance.now to see real times instead.
 */
export class HistoryRecorder {
  private readonly ops: Operation[] = [];
  private readonly now: () => number;
  private counter = 0;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? (() => ++this.counter);
  }

  invoke(
    client: string,
    input: { kind: 'get'; key: string | Uint8Array },
  ): OpHandle<Value | Uint8Array>;
  invoke(
    client: string,
    input: { kind: 'put'; key: string | Uint8Array; value: Value | Uint8Array },
  ): OpHandle<void>;
  invoke(
    client: string,
    input: {
      kind: 'cas';
      key: string | Uint8Array;
      expected: Value | Uint8Array;
      value: Value | Uint8Array;
    },
  ): OpHandle<boolean>;
  invoke(
    client: string,
    input: { kind: 'incr'; key: string | Uint8Array; delta: number },
  ): OpHandle<bigint>;
  invoke(client: string, input: OpInput): OpHandle<Value | Uint8Array | boolean | bigint | void> {
    const base = {
      id: this.ops.length,
      client,
      key: toValue(input.key) as string,
      invokeTime: this.now(),
      status: 'unknown' as OpStatus,
    };
    let op: Operation;
    if (input.kind === 'get') op = { ...base, kind: 'get' };
    else if (input.kind === 'put') op = { ...base, kind: 'put', value: toValue(input.value) };
    else if (input.kind === 'incr') {
      if (!Number.isSafeInteger(input.delta)) {
        throw new Error(`history: incr delta must be a safe integer, got ${input.delta}`);
      }
      op = { ...base, kind: 'incr', delta: input.delta };
    } else {
      op = {
        ...base,
        kind: 'cas',
        expected: toValue(input.expected),
        value: toValue(input.value),
      };
    }
    this.ops.push(op);
    let open = true;
    const close = (how: string): void => {
      if (!open) throw new Error(`history: operation #${op.id} was already completed (${how})`);
      open = false;
    };
    return {
      id: op.id,
      ok: (result) => {
        close('ok');
        op.status = 'ok';
        op.returnTime = this.now();
        if (op.kind === 'get') op.observed = toValue(result as Value | Uint8Array);
        else if (op.kind === 'cas') op.swapped = result as boolean;
        else if (op.kind === 'incr') op.result = String(result as bigint);
      },
      fail: () => {
        close('fail');
        op.status = 'fail';
        op.returnTime = this.now();
      },
      timeout: () => close('timeout'),
    };
  }

  /** The operations so far; ones still in flight count as 'unknown'. */
  operations(): readonly Operation[] {
    return this.ops;
  }

  toJSON(): HistoryFile {
    return { format: 'distdb-history', version: HISTORY_FORMAT_VERSION, ops: this.ops };
  }
}

// ---------------------------------------------------------------- reading back

function isValue(v: unknown): v is Value {
  return v === null || typeof v === 'string';
}

function readOp(raw: unknown, i: number): Operation {
  const bad = (msg: string): never => {
    throw new HistoryError(`history op at position ${i}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'number') bad('id must be a number');
  if (typeof o.client !== 'string') bad('client must be a string');
  if (typeof o.key !== 'string') bad('key must be a string');
  if (typeof o.invokeTime !== 'number' || !Number.isFinite(o.invokeTime)) {
    bad('invokeTime must be a finite number');
  }
  if (o.status !== 'ok' && o.status !== 'fail' && o.status !== 'unknown') {
    bad(`status must be 'ok', 'fail' or 'unknown', got ${JSON.stringify(o.status)}`);
  }
  if (o.status !== 'unknown') {
    if (typeof o.returnTime !== 'number' || !Number.isFinite(o.returnTime)) {
      bad(`a '${String(o.status)}' operation needs a finite returnTime`);
    }
    if ((o.returnTime as number) < (o.invokeTime as number)) {
      bad(`returnTime ${String(o.returnTime)} is before invokeTime ${String(o.invokeTime)}`);
    }
  }
  const ok = o.status === 'ok';
  switch (o.kind) {
    case 'get':
      if (ok && !isValue(o.observed)) bad('an ok get needs observed (a string or null)');
      break;
    case 'put':
      if (!isValue(o.value)) bad('put value must be a string or null');
      break;
    case 'cas':
      if (!isValue(o.expected) || !isValue(o.value)) {
        bad('cas expected and value must be strings or null');
      }
      if (ok && typeof o.swapped !== 'boolean') bad('an ok cas needs swapped (a boolean)');
      break;
    case 'incr':
      if (typeof o.delta !== 'number' || !Number.isSafeInteger(o.delta)) {
        bad('incr delta must be a safe integer');
      }
      if (ok && (typeof o.result !== 'string' || !/^-?\d+$/.test(o.result))) {
        bad('an ok incr needs result (an integer in decimal, as a string)');
      }
      break;
    default:
      bad(`kind must be 'get', 'put', 'cas' or 'incr', got ${JSON.stringify(o.kind)}`);
  }
  return o as unknown as Operation;
}

/** Reads a history written by HistoryRecorder.toJSON (as text or parsed). Throws HistoryError. */
export function historyFromJSON(input: string | unknown): Operation[] {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = JSON.parse(input);
    } catch (e) {
      throw new HistoryError(`history is not valid JSON: ${(e as Error).message}`);
    }
  }
  const f = parsed as Partial<HistoryFile> | null;
  if (typeof f !== 'object' || f === null || f.format !== 'distdb-history') {
    throw new HistoryError("not a history file (expected format: 'distdb-history')");
  }
  if (f.version !== HISTORY_FORMAT_VERSION) {
    throw new HistoryError(
      `unsupported history version ${String(f.version)} (expected ${HISTORY_FORMAT_VERSION})`,
    );
  }
  if (!Array.isArray(f.ops)) throw new HistoryError('history ops must be an array');
  return validateHistory(f.ops);
}

/** Checks every operation's fields and that ids are unique; throws HistoryError naming the first problem. */
export function validateHistory(ops: readonly unknown[]): Operation[] {
  const out = ops.map(readOp);
  const ids = new Set<number>();
  for (const op of out) {
    if (ids.has(op.id)) throw new HistoryError(`history has two operations with id ${op.id}`);
    ids.add(op.id);
  }
  return out;
}
