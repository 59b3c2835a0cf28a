// Is a key/value history linearizable? Keys are independent registers, so a
// history is linearizable exactly when each key's sub-history is (the
// P-compositionality Porcupine exploits): check key by key, each with a
// bounded search, and explain the keys that fail.

import { validateHistory, type Operation, type Value } from './history.js';
import { DEFAULT_EXPLAIN_LIMITS, explainViolation, type Violation } from './explain.js';
import { searchKey, type SearchVerdict } from './register-search.js';

export type { Violation } from './explain.js';

export interface CheckOptions {
  /** Search steps per key before that key is 'unknown'. Default 1,000,000 (about a second at worst). */
  maxStepsPerKey?: number;
  /** Wall-clock budget for the whole check in ms; keys not finished in it are 'unknown'. Default: none (the step bound alone keeps results reproducible). */
  timeLimitMs?: number;
  /** Each key's value before the history began; keys not listed start absent (null). */
  initial?: ReadonlyMap<string, Value>;
  /** Explain violations (shrinks the failing key; costs a few more searches). Default true. */
  explain?: boolean;
  /** Most trial searches when shrinking one violation (each bounded too). Default 400. */
  maxExplainTrials?: number;
}

export const DEFAULT_MAX_STEPS_PER_KEY = 1_000_000;
/** Ceiling on search steps spent explaining one violation (roughly ten seconds at worst). */
const MAX_EXPLAIN_STEPS = 10_000_000;

export interface KeyResult {
  key: string;
  verdict: SearchVerdict;
  /** Operations on the key, including failed ones. */
  ops: number;
  steps: number;
}

export interface CheckResult {
  /** 'violation' if any key fails; else 'unknown' if any key hit a bound; else 'ok'. */
  verdict: SearchVerdict;
  /** One per failing key, explained (empty when `explain` is false). */
  violations: Violation[];
  /** Keys whose search hit a bound. */
  unknownKeys: string[];
  keys: KeyResult[];
  /** Search steps over all keys (not counting explanation). */
  steps: number;
}

/**
 * Checks `history` against a key/value register model with get, put and
 * compare-and-set. Throws HistoryError if an operation is malformed.
 */
export function checkLinearizability(
  history: readonly Operation[],
  options: CheckOptions = {},
): CheckResult {
  validateHistory(history);
  const maxSteps = options.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY;
  const deadline =
    options.timeLimitMs === undefined ? undefined : performance.now() + options.timeLimitMs;
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    let ops = byKey.get(op.key);
    if (!ops) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  const keys: KeyResult[] = [];
  const violations: Violation[] = [];
  const unknownKeys: string[] = [];
  let steps = 0;
  for (const [key, ops] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const initial = options.initial?.get(key) ?? null;
    const r = searchKey(ops, initial, { maxSteps, deadline });
    steps += r.steps;
    keys.push({ key, verdict: r.verdict, ops: ops.length, steps: r.steps });
    if (r.verdict === 'unknown') unknownKeys.push(key);
    if (r.verdict === 'violation' && options.explain !== false) {
      violations.push(
        explainViolation(key, ops, initial, {
          ...DEFAULT_EXPLAIN_LIMITS,
          // Trials get more room than the search that found the violation needed.
          search: {
            maxSteps: Math.min(
              maxSteps,
              Math.max(DEFAULT_EXPLAIN_LIMITS.search.maxSteps, 2 * r.steps),
            ),
            deadline,
          },
          maxTotalSteps: Math.max(
            DEFAULT_EXPLAIN_LIMITS.maxTotalSteps,
            Math.min(20 * r.steps, MAX_EXPLAIN_STEPS),
          ),
          maxTrials: options.maxExplainTrials ?? DEFAULT_EXPLAIN_LIMITS.maxTrials,
        }),
      );
    }
  }
  const verdict = keys.some((k) => k.verdict === 'violation')
    ? 'violation'
    : unknownKeys.length > 0
      ? 'unknown'
      : 'ok';
  return { verdict, violations, unknownKeys, keys, steps };
}

/** A short report of a result: the verdict and, for a violation, each explanation. */
export function formatCheckResult(r: CheckResult): string {
  const head = `linearizability: ${r.verdict} (${r.keys.length} keys, ${r.steps} search steps)`;
  const parts = [head, ...r.violations.map((v) => v.text)];
  if (r.unknownKeys.length > 0) {
    parts.push(
      `search bound reached on keys: ${r.unknownKeys.map((k) => JSON.stringify(k)).join(', ')}`,
    );
  }
  return parts.join('\n');
}
