// Turns "this key is not linearizable" into something a person can read: a
// few operations that cannot be ordered, and a sentence saying why.
//
// Shrinking uses only changes that make a history easier to linearize, so
// whatever still fails is a true witness:
//  1. Cut at time t: keep operations invoked by t; those answered after t
//     become unanswered (may take effect any time, or never). If the cut
//     fails, so does the whole history; the earliest failing t is the return
//     that made the history impossible.
//  2. Window from time s: drop operations answered before s, make those in
//     flight at s unanswered, and let the register start with any value it
//     may hold at s (the initial one, or one written by an operation invoked
//     before s). If that fails for every such value, it is a witness on its
//     own. Take the latest such s.
//  3. Inside the window, relax operations a chunk at a time (delta
//     debugging) while it still fails: drop a get; drop a write whose value
//     nothing kept observes (when no kept cas failed: a failed cas observes
//     "not x" of every write; nor an increment: it builds on every value);
//     otherwise make a write unanswered.
// An increment that was never answered and was invoked before s may have
// taken effect before s, on top of a start value: step 2 then tries the sum
// as a start, without that increment in the window (it took effect once),
// and skips a window start where such starts would be too many. For a key
// with increments, step 2 leaves out the values certainly overwritten before s.
// Every trial search is bounded, and so is their number and total steps; a
// trial that hits a bound counts as "does not fail", which keeps it sound.

import type { Operation, Value } from './history.js';
import { integerOf, searchKey, type SearchLimits } from './register-search.js';

export interface Violation {
  key: string;
  /** The operations no order explains, by invocation time (each as recorded). */
  ops: Operation[];
  /** Writes kept only as "may have taken effect at any time after invocation, or never". */
  uncertain: Operation[];
  /** Operations outside `ops` that `reason` names. */
  context: Operation[];
  /** Operations on this key in the whole history. */
  keyOps: number;
  /** false when a shrinking budget ran out, so `ops` may not be the fewest. */
  minimal: boolean;
  /** When the witness starts after the history did: when, and the values the register may have held then. */
  opens: { at: number; values: Value[] } | null;
  /** One sentence: why no order works. */
  reason: string;
  /** The whole explanation, several lines, for a test failure or a log. */
  text: string;
}

export interface ExplainLimits {
  /** Bound for each trial search. */
  search: SearchLimits;
  /** Most trial searches. */
  maxTrials: number;
  /** Most search steps over all trials. */
  maxTotalSteps: number;
}

export const DEFAULT_EXPLAIN_LIMITS: Readonly<ExplainLimits> = {
  search: { maxSteps: 50_000 },
  maxTrials: 400,
  maxTotalSteps: 2_000_000,
};

function relaxedCopy(o: Operation): Operation {
  const c = { ...o, status: 'unknown' as const };
  delete c.returnTime;
  if (c.kind === 'get') delete c.observed;
  if (c.kind === 'cas') delete c.swapped;
  if (c.kind === 'incr') delete c.result;
  return c;
}

/** Step 1: the history cut at time t. */
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

/** Step 2: the window of `ops` from time s (ties with s count as in flight). */
function windowFrom(ops: readonly Operation[], s: number): Operation[] {
  const out: Operation[] = [];
  for (const o of ops) {
    if (o.invokeTime >= s) out.push(o);
    else if (o.kind === 'get') continue;
    else if (o.status === 'unknown' || (o.returnTime as number) >= s) out.push(relaxedCopy(o));
  }
  return out;
}

/** Step 3: the trial history where every op of `relax` is relaxed. */
function relaxAll(ops: readonly Operation[], relax: ReadonlySet<Operation>): Operation[] {
  // Values something may still observe: kept reads, and the expected value of
  // every cas that stays (even unanswered, it swaps exactly when it sees it).
  const observed = new Set<Value>();
  let observesAll = false;
  for (const o of ops) {
    if (o.kind === 'incr') observesAll = true;
    if (relax.has(o)) continue;
    if (o.kind === 'get' && o.status === 'ok') observed.add(o.observed ?? null);
    if (o.kind === 'cas') observed.add(o.expected);
    if (o.kind === 'cas' && o.status === 'ok' && !o.swapped) observesAll = true;
  }
  const stays = (o: Operation): boolean =>
    !relax.has(o) ||
    (o.kind !== 'get' && (observesAll || (o.kind !== 'incr' && observed.has(o.value))));
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

/** Most starts a window may have; beyond it the window is not tried. */
const MAX_STARTS = 256;

/** A state the register may be in when a window opens. */
interface Start {
  value: Value;
  /** Unanswered increments that took effect before the window: they may not again. */
  applied: ReadonlySet<number>;
}

/**
 * The states the register may be in when a window opens at time s: the
 * initial value, or one written by an operation invoked before s; each as
 * is, and plus the deltas of each subset of the unanswered increments
 * invoked before s (which then took effect before s). Null when those are
 * more than MAX_STARTS. With `pruned`, a write that a certain write wholly
 * between it and s overwrote is left out: a key with increments writes a new
 * value almost every time, and would otherwise have too many. A key without
 * keeps them, so that a window can open before the writes a read
 * contradicts, and the witness shows them.
 */
function startsAt(
  keyOps: readonly Operation[],
  initial: Value,
  s: number,
  pruned: boolean,
): Start[] | null {
  // The latest invocation of a certain write that returned before s: a write
  // that returned before it took effect before it.
  let overwrittenBefore = -Infinity;
  if (pruned) {
    for (const o of keyOps) {
      if (isCertainWrite(o) && returned(o) < s) {
        overwrittenBefore = Math.max(overwrittenBefore, o.invokeTime);
      }
    }
  }
  const values = new Set<Value>([initial]);
  const unanswered: Operation[] = [];
  for (const o of keyOps) {
    if (o.invokeTime >= s) continue;
    if (o.kind === 'incr' && o.status === 'unknown') unanswered.push(o);
    if (returned(o) < overwrittenBefore) continue;
    const w = writtenValue(o);
    if (w !== undefined) values.add(w);
  }
  let starts: Start[] = [...values].map((value) => ({ value, applied: new Set<number>() }));
  for (const u of unanswered) {
    if (u.kind !== 'incr') continue;
    const more: Start[] = [];
    for (const st of starts) {
      const n = integerOf(st.value);
      if (n !== null) {
        more.push({ value: String(n + BigInt(u.delta)), applied: new Set([...st.applied, u.id]) });
      }
    }
    starts = starts.concat(more);
    if (starts.length > MAX_STARTS) return null;
  }
  return starts;
}

/**
 * For a test that is false…false true…true over 0..n-1 and true at n-1: the
 * first true index, probing 0, 1, 3, 7, … (the cheap end first), then by
 * bisection. Out of budget, it settles for the earliest true index found.
 */
function firstTrue(n: number, test: (k: number) => boolean, budgetLeft: () => boolean): number {
  let lo = -1; // known false
  let hi = n - 1; // known true
  for (let k = 0; k < hi && budgetLeft(); k = 2 * k + 1) {
    if (test(k)) {
      hi = k;
      break;
    }
    lo = k;
  }
  while (hi - lo > 1 && budgetLeft()) {
    const mid = (lo + hi) >> 1;
    if (test(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Shrinks the failing history of one key and explains it. */
export function explainViolation(
  key: string,
  keyOps: readonly Operation[],
  initial: Value,
  limits: ExplainLimits = DEFAULT_EXPLAIN_LIMITS,
): Violation {
  let trials = 0;
  let steps = 0;
  const budgetLeft = (): boolean => trials < limits.maxTrials && steps < limits.maxTotalSteps;
  const fromInitial: Start = { value: initial, applied: new Set() };
  /** Fails from every one of the starts. */
  const fails = (ops: readonly Operation[], starts: readonly Start[]): boolean => {
    trials++;
    for (const st of starts) {
      const rest = st.applied.size === 0 ? ops : ops.filter((o) => !st.applied.has(o.id));
      const r = searchKey(rest, st.value, limits.search);
      steps += r.steps;
      if (r.verdict !== 'violation') return false;
    }
    return true;
  };

  // 1. The earliest failing cut. Small cuts are cheap to check, so probe from the start.
  const ends = [
    ...new Set(keyOps.filter((o) => o.status === 'ok').map((o) => o.returnTime as number)),
  ].sort((a, b) => a - b);
  // The last cut is the whole (failing) history.
  const endAt = firstTrue(
    ends.length,
    (k) => fails(cutAt(keyOps, ends[k] as number), [fromInitial]),
    budgetLeft,
  );
  const cut = cutAt(keyOps, ends[endAt] ?? Infinity);

  // 2. The latest failing window start. Late starts make small windows: probe from the end.
  const starts = [...new Set(cut.map((o) => o.invokeTime))].sort((a, b) => a - b);
  const pruned = keyOps.some((o) => o.kind === 'incr');
  const startAt = (j: number): number =>
    j === starts.length - 1 ? -Infinity : (starts[starts.length - 1 - j] as number);
  const opensAt = startAt(
    firstTrue(
      starts.length,
      (j) => {
        const starts = startsAt(keyOps, initial, startAt(j), pruned);
        return starts !== null && fails(windowFrom(cut, startAt(j)), starts);
      },
      budgetLeft,
    ),
  );
  const window = windowFrom(cut, opensAt);
  const start = startsAt(keyOps, initial, opensAt, pruned) ?? [fromInitial];

  // 3. Delta debugging: reads first, so that the writes a read contradicts
  // stay certain and the explanation reads "wrote x, then y, yet saw x".
  const relax = new Set<Operation>();
  const shrink = (candidates: Operation[]): void => {
    let kept = candidates;
    let chunk = Math.max(1, Math.ceil(kept.length / 2));
    for (;;) {
      for (let at = 0; at < kept.length && budgetLeft();) {
        const part = kept.slice(at, at + chunk);
        for (const o of part) relax.add(o);
        if (fails(relaxAll(window, relax), start)) {
          kept = kept.filter((o) => !relax.has(o));
        } else {
          for (const o of part) relax.delete(o);
          at += chunk;
        }
      }
      if (chunk === 1 || !budgetLeft()) return;
      chunk = Math.ceil(chunk / 2);
    }
  };
  shrink(window.filter((o) => o.kind === 'get'));
  shrink(window.filter((o) => o.kind !== 'get'));
  const final = relaxAll(window, relax);

  // Show operations as recorded, not as relaxed copies.
  const recorded = new Map(keyOps.map((o) => [o.id, o]));
  const asRecorded = (o: Operation): Operation => recorded.get(o.id) ?? o;
  const byInvoke = (a: Operation, b: Operation): number =>
    a.invokeTime - b.invokeTime || a.id - b.id;
  const ops = final
    .filter((o) => !relax.has(o) && o.status === 'ok')
    .map(asRecorded)
    .sort(byInvoke);
  const uncertain = final
    .filter((o) => relax.has(o) || o.status === 'unknown')
    .map(asRecorded)
    .sort(byInvoke);
  const { reason, mentioned } = explainReason(ops, keyOps, initial);
  const shown = new Set([...ops, ...uncertain]);
  const context = mentioned.filter((o) => !shown.has(o)).sort(byInvoke);
  const minimal = budgetLeft();
  const opens =
    opensAt === -Infinity
      ? null
      : { at: opensAt, values: [...new Set(start.map((st) => st.value))] };
  const v = { key, ops, uncertain, context, keyOps: keyOps.length, minimal, opens, reason };
  return { ...v, text: render(v) };
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
  } else if (o.kind === 'incr') {
    what = `incr by ${o.delta}${o.status === 'ok' ? ` → ${showValue(o.result)}` : ''}`;
  } else {
    const outcome = o.status === 'ok' ? (o.swapped ? ' → swapped' : ' → not swapped') : '';
    what = `cas ${showValue(o.expected)} ⇒ ${showValue(o.value)}${outcome}`;
  }
  const end = o.status === 'unknown' ? '?' : String(o.returnTime);
  const status = o.status === 'ok' ? '' : ` (${o.status === 'fail' ? 'failed' : 'no answer'})`;
  return `#${o.id} client ${o.client} ${what}  [${o.invokeTime} → ${end}]${status}`;
}

/** What a write (or an unanswered cas) would leave in the register; an
 *  unanswered increment's value is not known. */
const writtenValue = (o: Operation): Value | undefined =>
  o.status === 'fail'
    ? undefined
    : o.kind === 'put'
      ? o.value
      : o.kind === 'cas' && o.swapped !== false
        ? o.value
        : o.kind === 'incr'
          ? o.result
          : undefined;
/** A write known to have happened within its interval. */
const isCertainWrite = (o: Operation): boolean =>
  o.status === 'ok' &&
  (o.kind === 'put' || o.kind === 'incr' || (o.kind === 'cas' && o.swapped === true));
/** The value an operation saw, if it saw one exactly (get, or a cas that swapped). */
const seenValue = (o: Operation): Value | undefined =>
  o.status !== 'ok'
    ? undefined
    : o.kind === 'get'
      ? (o.observed ?? null)
      : o.kind === 'cas' && o.swapped
        ? o.expected
        : undefined;
const returned = (o: Operation): number => o.returnTime ?? Infinity;
const latestReturn = (ops: Operation[]): Operation | undefined =>
  ops.reduce<Operation | undefined>(
    (a, o) => (a === undefined || returned(o) > returned(a) ? o : a),
    undefined,
  );

/**
 * Why no order works, told from the core operation that answered last, with
 * facts from the whole key history (so each sentence is a proof on its own).
 * Falls back to a general sentence when no simple proof applies.
 */
function explainReason(
  core: Operation[],
  keyOps: readonly Operation[],
  initial: Value,
): { reason: string; mentioned: Operation[] } {
  const generic = {
    reason:
      'no order of these operations, each placed between its invocation and its return, ' +
      'gives every one of them the result it returned',
    mentioned: [],
  };
  // The sentences below reason about writes of one value; an increment's
  // value depends on every one before it.
  if (keyOps.some((o) => o.kind === 'incr')) return generic;
  const last = latestReturn(core.filter((o) => o.status === 'ok'));
  const v = last && seenValue(last);
  if (!last || v === undefined) return generic;
  const what = `#${last.id} (${last.kind}) saw ${showValue(v)}`;
  const writers = keyOps.filter(
    (o) => o !== last && writtenValue(o) === v && o.invokeTime < returned(last),
  );
  if (writers.length === 0 && v !== initial) {
    return {
      reason: `${what}, but no write of ${showValue(v)} was invoked before it returned at ${last.returnTime}`,
      mentioned: [],
    };
  }
  // Unanswered writes of v could land at any time: no simple proof then.
  if (!writers.every(isCertainWrite)) return generic;
  const ends = writers.map(returned);
  if (v === initial) ends.push(-Infinity);
  const shownWriters = writers.slice(-5);

  // Every write of v was followed by a write of something else, all before `last` began.
  const overwriter = (end: number): Operation | undefined =>
    latestReturn(
      keyOps.filter(
        (x) =>
          isCertainWrite(x) &&
          writtenValue(x) !== v &&
          x.invokeTime > end &&
          returned(x) < last.invokeTime,
      ),
    );
  const over = ends.map(overwriter);
  if (over.every((x) => x !== undefined)) {
    const x = over[ends.indexOf(Math.max(...ends))] as Operation;
    const after =
      writers.length === 0 ? 'the start' : `every write of ${showValue(v)} had returned`;
    return {
      reason:
        `${what}, but #${x.id} overwrote it with ${showValue(writtenValue(x))}: #${x.id} began ` +
        `after ${after} and returned at ${x.returnTime}, before #${last.id} was invoked at ${last.invokeTime}`,
      mentioned: [x, ...shownWriters],
    };
  }

  // A stale read: something saw another value after every write of v, before `last` began.
  const newer = latestReturn(
    keyOps.filter((o) => {
      const seen = seenValue(o);
      return (
        seen !== undefined &&
        seen !== v &&
        returned(o) < last.invokeTime &&
        ends.every((end) => end < o.invokeTime)
      );
    }),
  );
  if (newer) {
    const writes =
      writers.length === 0
        ? `${showValue(v)} was only the initial value`
        : `every write of ${showValue(v)} returned before #${newer.id} was invoked`;
    return {
      reason:
        `${what}, but #${newer.id} had already seen ${showValue(seenValue(newer))} and returned at ` +
        `${newer.returnTime}, before #${last.id} was invoked, and ${writes}: a read went back in time`,
      mentioned: [newer, ...shownWriters],
    };
  }
  return generic;
}

function render(v: Omit<Violation, 'text'>): string {
  const lines = [
    `key ${showValue(v.key)} is not linearizable: ${v.reason}.`,
    `${v.ops.length} of its ${v.keyOps} operations cannot be ordered [invoke → return]:`,
    ...v.ops.map((o) => `  ${describeOp(o)}`),
  ];
  if (v.uncertain.length > 0) {
    lines.push(
      'even though these writes were allowed to take effect at any time after invocation, or never:',
      ...v.uncertain.map((o) => `  ${describeOp(o)}`),
    );
  }
  if (v.context.length > 0) {
    lines.push('also named above:', ...v.context.map((o) => `  ${describeOp(o)}`));
  }
  if (v.opens) {
    const shown = v.opens.values.slice(0, 8).map(showValue).join(', ');
    const more = v.opens.values.length > 8 ? `, … (${v.opens.values.length} in all)` : '';
    lines.push(
      `starting at ${v.opens.at} from any value the key may have held then: ${shown}${more}`,
    );
  }
  if (!v.minimal) lines.push('(shrinking stopped at its budget: fewer operations may suffice)');
  return lines.join('\n');
}
