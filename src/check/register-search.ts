// The linearizability search for ONE key of a key/value register (get, put,
// compare-and-set, increment): Wing & Gong's algorithm as improved by Lowe, with the
// memoization Porcupine uses — a configuration (set of operations already
// linearized, register value) that was explored once is never explored again.
//
// Operations become call and return events on a doubly linked list sorted by
// time. Walking the list, a call may be linearized now if the register model
// accepts it from the current value; it is then lifted out of the list with
// its return. Reaching a return means the operation of that return should
// have been linearized already: undo the last choice and try the next call.

import type { Operation, Value } from './history.js';

export type SearchVerdict = 'ok' | 'violation' | 'unknown';

export interface SearchLimits {
  /** Model steps (attempts to linearize a call) before giving up with 'unknown'. */
  maxSteps: number;
  /** performance.now() after which to give up with 'unknown'; unset: no time bound. */
  deadline?: number;
}

const GET = 0;
const PUT = 1;
const CAS = 2;
const INCR = 3;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The integer an increment reads from a value, as Redis parses it; null if it is none. */
export function integerOf(v: Value): bigint | null {
  if (v === null) return 0n;
  if (!/^(0|-?[1-9][0-9]{0,19})$/.test(v)) return null;
  const n = BigInt(v);
  return n >= INT64_MIN && n <= INT64_MAX ? n : null;
}

/** splitmix32: deterministic bits for item i of a hash family. */
function hashOf(i: number, seed: number): number {
  let z = (seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function hashBits(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = hashOf(i, seed);
  return out;
}

interface Seen {
  state: number;
  answered: Uint32Array;
  unanswered: Uint32Array;
}

/**
 * Decides whether the operations on one key are linearizable from `initial`.
 * 'fail' operations and unanswered gets are ignored (they changed nothing);
 * unanswered puts, cas and incr may take effect at any point after invocation,
 * or never.
 * Time ties count as concurrent.
 */
export function searchKey(
  history: readonly Operation[],
  initial: Value,
  limits: SearchLimits,
): { verdict: SearchVerdict; steps: number } {
  const ops = history.filter(
    (o) => o.status === 'ok' || (o.status === 'unknown' && o.kind !== 'get'),
  );
  const n = ops.length;

  // Values interned to small integers; 0 is the initial value. Increments
  // that were never answered add values during the search.
  const valueIds = new Map<Value, number>([[initial, 0]]);
  const values: Value[] = [initial];
  const id = (v: Value): number => {
    let i = valueIds.get(v);
    if (i === undefined) {
      valueIds.set(v, (i = values.length));
      values.push(v);
    }
    return i;
  };
  const integers: Array<bigint | null | undefined> = [];
  const integerAt = (state: number): bigint | null => {
    let x = integers[state];
    if (x === undefined) integers[state] = x = integerOf(values[state] as Value);
    return x;
  };
  const kind = new Uint8Array(n);
  const pending = new Uint8Array(n);
  const arg = new Int32Array(n); // put/cas: value written
  const expect = new Int32Array(n); // cas: expected; get: observed; incr: result
  const swapped = new Uint8Array(n);
  const delta: bigint[] = []; // incr
  let completed = 0;
  for (let i = 0; i < n; i++) {
    const o = ops[i] as Operation;
    pending[i] = o.status === 'unknown' ? 1 : 0;
    if (!pending[i]) completed++;
    if (o.kind === 'get') {
      kind[i] = GET;
      expect[i] = id(o.observed ?? null);
    } else if (o.kind === 'put') {
      kind[i] = PUT;
      arg[i] = id(o.value);
    } else if (o.kind === 'incr') {
      kind[i] = INCR;
      delta[i] = BigInt(o.delta);
      if (o.status === 'ok') expect[i] = id(o.result as string);
    } else {
      kind[i] = CAS;
      arg[i] = id(o.value);
      expect[i] = id(o.expected);
      swapped[i] = o.swapped ? 1 : 0;
    }
  }
  if (completed === 0) return { verdict: 'ok', steps: 0 };

  // Events: node 0 is the head sentinel, nodes 1..2n the events, 2n+1 the tail.
  const order: number[] = [];
  for (let i = 0; i < 2 * n; i++) order.push(i);
  const timeOf = (e: number): number => {
    const o = ops[e >> 1] as Operation;
    if ((e & 1) === 0) return o.invokeTime;
    return o.status === 'unknown' ? Infinity : (o.returnTime as number);
  };
  // Calls before returns at equal times: ties are concurrent.
  order.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  const tail = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  const nodeEvent = new Int32Array(2 * n + 2);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n);
  for (let k = 0; k < 2 * n; k++) {
    const e = order[k] as number;
    const node = k + 1;
    nodeEvent[node] = e;
    if (e & 1) retNode[e >> 1] = node;
    else callNode[e >> 1] = node;
    prev[node] = k;
    next[node] = node + 1;
  }
  next[0] = 1;
  prev[tail] = 2 * n;

  const unlink = (node: number): void => {
    next[prev[node] as number] = next[node] as number;
    prev[next[node] as number] = prev[node] as number;
  };
  const relink = (node: number): void => {
    next[prev[node] as number] = node;
    prev[next[node] as number] = node;
  };

  // The memo. A configuration is (answered ops linearized, unanswered ops
  // linearized, value). One with the same answered ops and value but FEWER
  // unanswered ops linearized can do everything this one can (an unanswered
  // op may also never take effect), so a visit is pruned when such a
  // configuration was seen. Hashing covers the answered ops and the value;
  // the bucket is then searched for an exact match or a dominating entry.
  const slot = new Int32Array(n); // bit index among answered, or among unanswered ops
  let answeredCount = 0;
  let unansweredCount = 0;
  for (let i = 0; i < n; i++) slot[i] = pending[i] ? unansweredCount++ : answeredCount++;
  const aWords = (answeredCount + 31) >>> 5;
  const uWords = (unansweredCount + 31) >>> 5;
  const answeredBits = new Uint32Array(aWords);
  const unansweredBits = new Uint32Array(uWords);
  const opHashA = hashBits(n, 1);
  const opHashB = hashBits(n, 2);
  let hashA = 0;
  let hashB = 0;
  const cache = new Map<number, Seen[]>();
  /** Records this configuration; false if it (or one that dominates it) was seen. */
  const firstVisit = (state: number): boolean => {
    const key =
      ((hashB ^ hashOf(state, 4)) & 0x1fffff) * 0x100000000 + ((hashA ^ hashOf(state, 3)) >>> 0);
    let bucket = cache.get(key);
    if (bucket) {
      outer: for (const seen of bucket) {
        if (seen.state !== state) continue;
        for (let w = 0; w < aWords; w++) {
          if (seen.answered[w] !== answeredBits[w]) continue outer;
        }
        for (let w = 0; w < uWords; w++) {
          if (((seen.unanswered[w] as number) & ~(unansweredBits[w] as number)) !== 0) {
            continue outer;
          }
        }
        return false;
      }
    } else {
      cache.set(key, (bucket = []));
    }
    bucket.push({ state, answered: answeredBits.slice(), unanswered: unansweredBits.slice() });
    return true;
  };
  const flip = (i: number): void => {
    const b = slot[i] as number;
    if (pending[i]) {
      unansweredBits[b >>> 5] = (unansweredBits[b >>> 5] as number) ^ (1 << (b & 31));
    } else {
      answeredBits[b >>> 5] = (answeredBits[b >>> 5] as number) ^ (1 << (b & 31));
      hashA ^= opHashA[i] as number;
      hashB ^= opHashB[i] as number;
    }
  };

  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  let depth = 0;
  let state = 0;
  let linearized = 0; // completed operations linearized so far
  let steps = 0;
  let node = next[0] as number;
  for (;;) {
    if (linearized === completed) return { verdict: 'ok', steps };
    if (node === tail) throw new Error('linearizability search bug: ran off the event list');
    const e = nodeEvent[node] as number;
    const i = e >> 1;
    if ((e & 1) === 0) {
      steps++;
      if (steps > limits.maxSteps) return { verdict: 'unknown', steps };
      if (limits.deadline !== undefined && (steps & 0xfff) === 0) {
        if (performance.now() > limits.deadline) return { verdict: 'unknown', steps };
      }
      // The register model: may op i run now, and what value follows?
      let legal = true;
      let after = state;
      const k = kind[i];
      if (k === GET) {
        legal = expect[i] === state;
      } else if (k === PUT) {
        after = arg[i] as number;
      } else if (k === INCR) {
        // A value that is not an integer, or a sum out of range, is an error
        // with no effect: possible for an unanswered increment only.
        const from = integerAt(state);
        const sum = from === null ? null : from + (delta[i] as bigint);
        if (sum === null || sum < INT64_MIN || sum > INT64_MAX) legal = pending[i] === 1;
        else if (pending[i]) after = id(String(sum));
        else legal = integerAt((after = expect[i] as number)) === sum;
      } else {
        const match = expect[i] === state;
        if (!pending[i] && (swapped[i] === 1) !== match) legal = false;
        else if (match) after = arg[i] as number;
      }
      if (legal) {
        flip(i);
        if (firstVisit(after)) {
          stackOp[depth] = i;
          stackState[depth] = state;
          depth++;
          state = after;
          unlink(callNode[i] as number);
          unlink(retNode[i] as number);
          if (!pending[i]) linearized++;
          node = next[0] as number;
          continue;
        }
        flip(i);
      }
      node = next[node] as number;
    } else {
      // A return whose operation is not linearized yet: backtrack.
      if (depth === 0) return { verdict: 'violation', steps };
      depth--;
      const j = stackOp[depth] as number;
      state = stackState[depth] as number;
      flip(j);
      relink(retNode[j] as number);
      relink(callNode[j] as number);
      if (!pending[j]) linearized--;
      node = next[callNode[j] as number] as number;
    }
  }
}
