// Turns "this key is not linearizable" into something a person can read: the
// fewest operations that cannot be ordered, and a sentence saying why.
//
// Shrinking uses only changes that make a history easier to linearize, so
// whatever still fails is a true witness:
//  1. Cut at time t: keep operations invoked by t; those answered after t
//     become unanswered (may take effect any time, or never). If the cut
//     history fails, so does the whole one; the earliest failing t ends at
//     the return that made the history impossible.
//  2. Relax operations one chunk at a time (delta debugging) while it still
//     fails: drop a get; drop a write whose value nothing kept observes (when
//     no kept cas failed — a failed cas observes "not x" of every write);
//     otherwise turn a write into an unanswered one.

import type { Operation, Value } from './history.js';
import { searchKey, type SearchLimits } from './register-search.js';

export interface Violation {
  key: string;
  /** The operations no order explains, by invocation time (each as recorded). */
  ops: Operation[];
  /** Writes kept only as "may have taken effect at any time after invocation, or never". */
  uncertain: Operation[];
  /** Operations on this key in the whole history. */
  keyOps: number;
  /** false when the shrinking budget ran out, so `ops` may not be the fewest. */
  minimal: boolean;
  /** One sentence: why no order works. */
  reason: string;
  /** The whole explanation, several lines, for a test failure or a log. */
  text: string;
}

export interface ExplainLimits {
  /** Search bound for each trial history. */
  search: SearchLimits;
  /** Most trial searches while shrinking. */
  maxTrials: number;
}

function relaxedCopy(o: Operation): Operation {
  const c = { ...o, status: 'unknown' as const };
  delete c.returnTime;
  if (c.kind === 'get') delete c.observed;
  if (c.kind === 'cas') delete c.swapped;
  return c;
}

/** The history cut at time t (see step 1). */
function cutAt(ops: readonly Operation[], t: number): Operation[] {
  const out: Operation[] = [];
  for (const o of ops) {
    if (o.invokeTime > t || o.status === 'fail') continue;
    const answeredLater = o.status !== 'ok' || (o.returnTime as number) > t;
    // An unanswered get constrains nothing: leave it out.
    if (o.kind === 'get' && answeredLater) continue;
    out.push(o.status === 'ok' && answeredLater ? relaxedCopy(o) : o);
  }
  return out;
}

/** Builds the trial history where every op of `relax` is relaxed (see step 2). */
function relaxAll(ops: readonly Operation[], relax: ReadonlySet<Operation>): Operation[] {
  // Values something may still observe: kept reads, and the expected value of
  // every cas that stays (even unanswered, it swaps exactly when it sees it).
  const observed = new Set<Value>();
  let keptFailedCas = false;
  for (const o of ops) {
    if (relax.has(o)) continue;
    if (o.kind === 'get' && o.status === 'ok') observed.add(o.observed ?? null);
    if (o.kind === 'cas') observed.add(o.expected);
    if (o.kind === 'cas' && o.status === 'ok' && !o.swapped) keptFailedCas = true;
  }
  const stays = (o: Operation): boolean =>
    !relax.has(o) || (o.kind !== 'get' && (keptFailedCas || observed.has(o.value)));
  // A relaxed cas that stays observes its expected value too: repeat until stable.
  for (let grew = true; grew;) {
    grew = false;
    for (const o of ops) {
      if (o.kind === 'cas' && !observed.has(o.expected) && stays(o)) {
        observed.add(o.expected);
        grew = true;
      }
    }
  }
  const out: Operation[] = [];
  for (const o of ops) {
    if (!relax.has(o)) out.push(o);
    else if (stays(o)) out.push(o.status === 'ok' ? relaxedCopy(o) : o);
  }
  return out;
}

function fails(ops: readonly Operation[], initial: Value, limits: ExplainLimits): boolean {
  return searchKey(ops, initial, limits.search).verdict === 'violation';
}

/** Shrinks the failing history of one key and explains it. */
export function explainViolation(
  key: string,
  keyOps: readonly Operation[],
  initial: Value,
  limits: ExplainLimits,
): Violation {
  let trials = 0;
  const budgetLeft = (): boolean => trials < limits.maxTrials;
  const tryFails = (ops: readonly Operation[]): boolean => {
    trials++;
    return fails(ops, initial, limits);
  };

  // 1. The earliest failing cut, by binary search over return times.
  const times = [
    ...new Set(keyOps.filter((o) => o.status === 'ok').map((o) => o.returnTime as number)),
  ].sort((a, b) => a - b);
  let lo = 0;
  let hi = times.length - 1; // the last cut equals the whole (failing) history
  while (lo < hi && budgetLeft()) {
    const mid = (lo + hi) >> 1;
    if (tryFails(cutAt(keyOps, times[mid] as number))) hi = mid;
    else lo = mid + 1;
  }
  const cut = cutAt(keyOps, times[hi] ?? Infinity);

  // 2. Delta debugging: reads first, so that the writes a read contradicts
  // stay certain and the explanation reads "wrote x, then y, yet saw x".
  const relax = new Set<Operation>();
  const shrink = (candidates: Operation[]): void => {
    let kept = candidates;
    let chunk = Math.max(1, Math.ceil(kept.length / 2));
    for (;;) {
      for (let start = 0; start < kept.length && budgetLeft();) {
        const part = kept.slice(start, start + chunk);
        for (const o of part) relax.add(o);
        if (tryFails(relaxAll(cut, relax))) {
          kept = kept.filter((o) => !relax.has(o));
        } else {
          for (const o of part) relax.delete(o);
          start += chunk;
        }
      }
      if (chunk === 1 || !budgetLeft()) return;
      chunk = Math.ceil(chunk / 2);
    }
  };
  shrink(cut.filter((o) => o.kind === 'get'));
  shrink(cut.filter((o) => o.kind !== 'get'));
  const final = relaxAll(cut, relax);
  const core = final.filter((o) => !relax.has(o) && o.status === 'ok');
  const uncertain = final.filter((o) => relax.has(o) || o.status === 'unknown');
  // Show operations as recorded, not as relaxed copies.
  const original = new Map(keyOps.map((o) => [o.id, o]));
  const asRecorded = (o: Operation): Operation => original.get(o.id) ?? o;
  const byInvoke = (a: Operation, b: Operation): number =>
    a.invokeTime - b.invokeTime || a.id - b.id;
  const ops = core.map(asRecorded).sort(byInvoke);
  const uncertainOps = uncertain.map(asRecorded).sort(byInvoke);
  const reason = explainReason(ops, uncertainOps, initial);
  return {
    key,
    ops,
    uncertain: uncertainOps,
    keyOps: keyOps.length,
    minimal: budgetLeft(),
    reason,
    text: render(key, ops, uncertainOps, keyOps.length, reason),
  };
}

// ---------------------------------------------------------------- wording

export function showValue(v: Value | undefined): string {
  if (v === null || v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 42 ? `${s.slice(0, 40)}…"` : s;
}

/** One operation on one line: `#17 client c2 get → "3"  [50 → 60]`. */
export function describeOp(o: Operation): string {
  let what: string;
  if (o.kind === 'get') {
    what = o.status === 'ok' ? `get → ${showValue(o.observed)}` : 'get';
  } else if (o.kind === 'put') {
    what = o.value === null ? 'delete' : `put ${showValue(o.value)}`;
  } else {
    const outcome = o.status === 'ok' ? (o.swapped ? ' → swapped' : ' → not swapped') : '';
    what = `cas ${showValue(o.expected)} ⇒ ${showValue(o.value)}${outcome}`;
  }
  const end = o.status === 'unknown' ? '?' : String(o.returnTime);
  const status = o.status === 'ok' ? '' : ` (${o.status === 'fail' ? 'failed' : 'no answer'})`;
  return `#${o.id} client ${o.client} ${what}  [${o.invokeTime} → ${end}]${status}`;
}

const writtenValue = (o: Operation): Value | undefined =>
  o.kind === 'put' ? o.value : o.kind === 'cas' && o.swapped !== false ? o.value : undefined;
/** A write known to have happened within its interval. */
const isCertainWrite = (o: Operation): boolean =>
  o.status === 'ok' && (o.kind === 'put' || (o.kind === 'cas' && o.swapped === true));
/** The value an operation saw, if it saw one exactly (get, or a cas that swapped). */
const seenValue = (o: Operation): Value | undefined =>
  o.status !== 'ok'
    ? undefined
    : o.kind === 'get'
      ? (o.observed ?? null)
      : o.kind === 'cas' && o.swapped
        ? o.expected
        : undefined;

/** Why no order works, told from the operation that answered last. */
function explainReason(ops: Operation[], uncertain: Operation[], initial: Value): string {
  const generic =
    'no order of these operations, each placed between its invocation and its return, ' +
    'gives every one of them the result it returned';
  const answered = ops.filter((o) => o.status === 'ok');
  const last = answered.reduce<Operation | undefined>(
    (a, o) => (a === undefined || (o.returnTime as number) > (a.returnTime as number) ? o : a),
    undefined,
  );
  if (!last) return generic;
  const v = seenValue(last);
  if (v === undefined) return generic;
  const what = `#${last.id} (${last.kind}) saw ${showValue(v)}`;
  // Only operations in the core are certain; the uncertain ones may supply values.
  const core = new Set(ops);
  const certainWrite = (o: Operation): boolean => core.has(o) && isCertainWrite(o);
  const all = [...ops, ...uncertain];
  const writers = all.filter(
    (o) => writtenValue(o) === v && o.invokeTime < (last.returnTime as number) && o !== last,
  );
  if (writers.length === 0 && v !== initial) {
    return `${what}, but no write of ${showValue(v)} was invoked before it returned at ${last.returnTime}`;
  }
  const everyWrite = (newer: Operation): string =>
    writers.length === 0
      ? `${showValue(v)} was only the initial value`
      : `every write of ${showValue(v)} returned before #${newer.id} was invoked`;
  if (writers.some((w) => !certainWrite(w))) return generic;
  // Is every write of v (and the initial value, if v is it) overwritten before `last` began?
  const overwriter = (end: number): Operation | undefined =>
    all
      .filter(
        (x) =>
          certainWrite(x) &&
          writtenValue(x) !== v &&
          x.invokeTime > end &&
          (x.returnTime as number) < last.invokeTime,
      )
      .sort((a, b) => (b.returnTime as number) - (a.returnTime as number))[0];
  const ends = writers.map((w) => w.returnTime as number);
  if (v === initial) ends.push(-Infinity);
  const over = ends.map(overwriter);
  if (over.every((x) => x !== undefined)) {
    const latest = Math.max(...ends);
    const x = over[ends.indexOf(latest)] as Operation;
    return (
      `${what}, but #${x.id} overwrote it with ${showValue(writtenValue(x))}: #${x.id} began ` +
      `after ${v === initial && writers.length === 0 ? 'the start' : `every write of ${showValue(v)} had returned`} ` +
      `and returned at ${x.returnTime}, before #${last.id} was invoked at ${last.invokeTime}`
    );
  }
  // A stale read: an earlier operation already saw a newer value.
  const newer = answered.find(
    (o) =>
      o !== last &&
      (o.returnTime as number) < last.invokeTime &&
      seenValue(o) !== undefined &&
      seenValue(o) !== v &&
      ends.every((end) => end < o.invokeTime),
  );
  if (newer) {
    return (
      `${what}, but #${newer.id} had already seen ${showValue(seenValue(newer))} and returned at ` +
      `${newer.returnTime}, before #${last.id} was invoked, and ${everyWrite(newer)}: ` +
      'a read went back in time'
    );
  }
  return generic;
}

function render(
  key: string,
  ops: Operation[],
  uncertain: Operation[],
  keyOps: number,
  reason: string,
): string {
  const lines = [
    `key ${showValue(key)} is not linearizable: ${reason}.`,
    `${ops.length} of its ${keyOps} operations cannot be ordered [invoke → return]:`,
    ...ops.map((o) => `  ${describeOp(o)}`),
  ];
  if (uncertain.length > 0) {
    lines.push(
      'even though these writes were allowed to take effect at any time after invocation, or never:',
      ...uncertain.map((o) => `  ${describeOp(o)}`),
    );
  }
  return lines.join('\n');
}
