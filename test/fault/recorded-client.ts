// A test client whose every operation goes into a history for the
// linearizability checker: invoke, then ok / fail / unknown. Only a definite
// refusal (an error reply such as -ERR, a -TRYAGAIN / -CLUSTERDOWN whose
// sentence says the write was not applied, or a request that never left this
// process) counts as 'fail'; a timeout, a connection lost after sending, or
// any other -TRYAGAIN / -CLUSTERDOWN (it may follow a proposal that still
// commits) leaves the operation 'unknown': it may take effect later, or never.

import { writeFileSync } from 'node:fs';
import type { HistoryRecorder, Value } from '../../src/check/history.js';
import { checkLinearizability, formatCheckResult } from '../../src/check/linearizability.js';
import type { CheckResult } from '../../src/check/linearizability.js';
import { ConnectionError, ReplyError, type Client } from '../../src/index.js';

/** Reply codes after which a write may or may not have been applied. */
const UNCERTAIN_CODES = new Set(['TRYAGAIN', 'CLUSTERDOWN']);
/** ...unless the sentence says it was not applied (or, for a read, not served). */
const NOT_APPLIED = /\bwas not applied\b|\bwas not served\b/;

export type Outcome<T> =
  | { status: 'ok'; value: T }
  | { status: 'fail'; error: Error }
  | { status: 'unknown'; error: Error };

/** How an error from the client library bears on whether the operation happened. */
export function outcomeOfError(err: unknown): 'fail' | 'unknown' {
  if (err instanceof ReplyError) {
    if (!UNCERTAIN_CODES.has(err.code)) return 'fail';
    // The node says it did not apply the write: hold it to that (the checker will).
    return NOT_APPLIED.test(err.message) ? 'fail' : 'unknown';
  }
  if (err instanceof ConnectionError && !err.sent) return 'fail';
  return 'unknown';
}

export class RecordedClient {
  /** Bumped after an operation with an unknown outcome: that one may still be running. */
  private generation = 0;

  constructor(
    private readonly recorder: HistoryRecorder,
    private readonly client: Client,
    private readonly base: string,
    /** Counts errors by their text (numbers masked), if given. */
    private readonly errorTally?: Map<string, number>,
  ) {}

  /** The client name in the history; a new one after every unknown outcome. */
  get name(): string {
    return this.generation === 0 ? this.base : `${this.base}.${this.generation}`;
  }

  get(key: string): Promise<Outcome<Value>> {
    const h = this.recorder.invoke(this.name, { kind: 'get', key });
    return this.run(
      async () => (await this.client.get(key))?.toString('latin1') ?? null,
      (v) => h.ok(v),
      h,
    );
  }

  put(key: string, value: string): Promise<Outcome<void>> {
    const h = this.recorder.invoke(this.name, { kind: 'put', key, value });
    return this.run(
      async () => {
        await this.client.set(key, value);
      },
      () => h.ok(),
      h,
    );
  }

  /** `CAS key expected new`: :1 swapped, :0 not. */
  cas(key: string, expected: string, value: string): Promise<Outcome<boolean>> {
    const h = this.recorder.invoke(this.name, { kind: 'cas', key, expected, value });
    return this.run(
      async () => {
        const r = await this.client.command('CAS', key, expected, value);
        if (r !== 0 && r !== 1) throw new Error(`CAS answered ${JSON.stringify(r)}, not 0 or 1`);
        return r === 1;
      },
      (swapped) => h.ok(swapped),
      h,
    );
  }

  /** `INCRBY key delta`: the value after, as a decimal string. */
  incr(key: string, delta: number): Promise<Outcome<bigint>> {
    const h = this.recorder.invoke(this.name, { kind: 'incr', key, delta });
    return this.run(
      () => this.client.incr(key, delta),
      (v) => h.ok(v),
      h,
    );
  }

  private async run<T>(
    op: () => Promise<T>,
    ok: (v: T) => void,
    h: { fail(): void; timeout(): void },
  ): Promise<Outcome<T>> {
    try {
      const value = await op();
      ok(value);
      return { status: 'ok', value };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (this.errorTally) {
        const text = `${error.name}: ${error.message.replace(/\d+(\.\d+)?/g, 'N')}`;
        this.errorTally.set(text, (this.errorTally.get(text) ?? 0) + 1);
      }
      if (outcomeOfError(e) === 'fail') {
        h.fail();
        return { status: 'fail', error };
      }
      h.timeout();
      this.generation++;
      return { status: 'unknown', error };
    }
  }
}

/**
 * Checks the history; on a violation (or when the search gives up) writes it
 * as JSON to `path` and says where. Returns the result and the report text.
 */
export function judgeHistory(
  recorder: HistoryRecorder,
  path: string,
): { result: CheckResult; report: string } {
  const result = checkLinearizability(recorder.operations(), { timeLimitMs: 60_000 });
  let report = formatCheckResult(result);
  if (result.verdict !== 'ok') {
    writeFileSync(path, JSON.stringify(recorder.toJSON()));
    report += `\nhistory saved: ${path}`;
  }
  return { result, report };
}

/** Counts of the operations by kind and status (cas:swapped apart), for progress and reports. */
export function historySummary(recorder: HistoryRecorder): string {
  const counts = new Map<string, number>();
  for (const op of recorder.operations()) {
    const k = op.kind === 'cas' && op.swapped ? 'cas:swapped' : `${op.kind}:${op.status}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}
