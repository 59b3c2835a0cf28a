import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Operation, Value } from '../../src/check/history.js';
import { checkLinearizability, formatCheckResult } from '../../src/check/linearizability.js';
import { integerOf } from '../../src/check/register-search.js';

/** Hand-written histories: `ret` undefined means the operation never returned. */
class H {
  readonly ops: Operation[] = [];
  private add(o: Record<string, unknown>, inv: number, ret: number | undefined, fail = false) {
    const op = {
      id: this.ops.length,
      client: `c${this.ops.length % 3}`,
      key: 'k',
      invokeTime: inv,
      status: fail ? 'fail' : ret === undefined ? 'unknown' : 'ok',
      ...(ret === undefined ? {} : { returnTime: ret }),
      ...o,
    } as Operation;
    this.ops.push(op);
    return this;
  }
  put(value: Value, inv: number, ret?: number, key = 'k') {
    return this.add({ kind: 'put', value, key }, inv, ret);
  }
  failedPut(value: Value, inv: number, ret: number) {
    return this.add({ kind: 'put', value }, inv, ret, true);
  }
  get(observed: Value, inv: number, ret?: number, key = 'k') {
    return this.add({ kind: 'get', key, ...(ret === undefined ? {} : { observed }) }, inv, ret);
  }
  cas(expected: Value, value: Value, swapped: boolean, inv: number, ret?: number) {
    return this.add(
      { kind: 'cas', expected, value, ...(ret === undefined ? {} : { swapped }) },
      inv,
      ret,
    );
  }
  incr(delta: number, result: string, inv: number, ret?: number) {
    return this.add({ kind: 'incr', delta, ...(ret === undefined ? {} : { result }) }, inv, ret);
  }
  check() {
    return checkLinearizability(this.ops);
  }
}

const verdict = (h: H) => h.check().verdict;

test('sequential histories', () => {
  assert.equal(verdict(new H().get(null, 1, 2).put('1', 3, 4).get('1', 5, 6)), 'ok');
  assert.equal(verdict(new H().put('1', 1, 2).get('2', 3, 4)), 'violation');
  assert.equal(verdict(new H().get('1', 1, 2)), 'violation'); // nothing was written
  assert.equal(verdict(new H().put('1', 1, 2).put(null, 3, 4).get(null, 5, 6)), 'ok'); // delete
  assert.match(
    new H().put('1', 1, 2).get(null, 3, 4).check().violations[0]?.reason ?? '',
    /#1 \(get\) saw \(absent\), but #0 overwrote it with "1": #0 began after the start/,
  );
});

test('increments: an absent value counts as 0, each answer is the value after', () => {
  assert.equal(verdict(new H().incr(1, '1', 1, 2).incr(5, '6', 3, 4).get('6', 5, 6)), 'ok');
  assert.equal(verdict(new H().put('-3', 1, 2).incr(-2, '-5', 3, 4)), 'ok');
  // Two increments that saw the same value: one was applied twice, or lost.
  assert.equal(verdict(new H().incr(1, '1', 1, 4).incr(1, '1', 2, 5)), 'violation');
  // A lost increment: both answered, then a read of the first value.
  assert.equal(verdict(new H().incr(1, '1', 1, 2).incr(1, '2', 3, 4).get('1', 5, 6)), 'violation');
  // Concurrent increments may land in either order.
  assert.equal(verdict(new H().incr(1, '2', 1, 10).incr(1, '1', 2, 9).get('2', 11, 12)), 'ok');
});

test('increments: an unanswered one may apply at any later time, or never, but once', () => {
  const h = () => new H().incr(1, '1', 1, 2).incr(1, '', 3);
  assert.equal(verdict(h().get('1', 4, 5).get('2', 6, 7)), 'ok');
  assert.equal(verdict(h().get('2', 4, 5).incr(1, '3', 6, 7)), 'ok');
  // Applied twice: a retry that was not deduplicated.
  assert.equal(verdict(h().get('3', 4, 5)), 'violation');
  const r = h().get('2', 4, 5).get('1', 6, 7).check();
  assert.equal(r.verdict, 'violation');
  assert.match(r.violations[0]?.text ?? '', /#1 client c1 incr by 1 {2}\[3 → \?\] \(no answer\)/);
});

test('increments: a double increment deep in a long counter history is explained by a few operations', () => {
  const h = new H();
  // Three clients, overlapping, each answer one more than the last; one
  // unanswered increment early on; then an answer one too high.
  for (let i = 0; i < 300; i++) h.incr(1, String(i + 1), 10 * i, 10 * i + 15);
  h.incr(1, '', 5);
  h.incr(1, '303', 3010, 3012).incr(1, '304', 3020, 3022);
  const r = h.check();
  assert.equal(r.verdict, 'violation');
  const v = r.violations[0];
  assert.ok(v && v.minimal, r.violations[0]?.text);
  assert.ok(v.ops.length <= 3, v.text);
  assert.ok(
    v.ops.some((o) => o.kind === 'incr' && o.result === '303'),
    v.text,
  );
});

test('increments: a value that is not an integer makes them fail, with no effect', () => {
  assert.equal(verdict(new H().put('x', 1, 2).incr(1, '', 3).get('x', 4, 5)), 'ok');
  assert.equal(verdict(new H().put('x', 1, 2).incr(1, '1', 3, 4)), 'violation');
  assert.equal(verdict(new H().put('007', 1, 2).incr(1, '8', 3, 4)), 'violation');
  const max = '9223372036854775807';
  assert.equal(verdict(new H().put(max, 1, 2).incr(1, '', 3).get(max, 4, 5)), 'ok');
  assert.equal(integerOf('-9223372036854775808'), -(2n ** 63n));
  assert.equal(integerOf('9223372036854775808'), null);
  assert.equal(integerOf('-0'), null);
  assert.equal(integerOf(' 1'), null);
});

test('a stale read is a violation, explained', () => {
  const r = new H().put('1', 1, 2).put('2', 3, 4).get('1', 5, 6).check();
  assert.equal(r.verdict, 'violation');
  const v = r.violations[0];
  assert.ok(v);
  assert.equal(v.key, 'k');
  // The window from put "2" on fails whatever the value was before it; the
  // write of "1" is named by the reason, as context.
  assert.deepEqual(
    v.ops.map((o) => o.id),
    [1, 2],
  );
  assert.deepEqual(
    v.context.map((o) => o.id),
    [0],
  );
  assert.match(
    v.reason,
    /#2 \(get\) saw "1", but #1 overwrote it with "2": #1 began after every write of "1" had returned and returned at 4, before #2 was invoked at 5/,
  );
  assert.match(v.text, /key "k" is not linearizable/);
  assert.match(v.text, /#1 client c1 put "2" {2}\[3 → 4\]/);
  assert.match(v.text, /also named above:\n {2}#0 client c0 put "1"/);
});

test('concurrent operations may take effect in either order', () => {
  // The put overlaps both gets: each get may fall before or after it.
  assert.equal(verdict(new H().put('1', 1, 10).get('1', 2, 3)), 'ok');
  assert.equal(verdict(new H().put('1', 1, 10).get(null, 2, 3)), 'ok');
  // Two overlapping puts, reads see them land in the order 2 then 1.
  assert.equal(verdict(new H().put('1', 1, 5).put('2', 2, 6).get('2', 3, 4).get('1', 7, 8)), 'ok');
  // Touching intervals (return == invoke) count as concurrent.
  assert.equal(verdict(new H().put('1', 1, 5).get(null, 5, 6)), 'ok');
});

test('a read may not go back in time, even while a write is in flight', () => {
  const r = new H().put('1', 0, 100).get('1', 1, 2).get(null, 3, 4).check();
  assert.equal(r.verdict, 'violation');
  assert.match(r.violations[0]?.reason ?? '', /#1 \(get\) saw "1"|#2 \(get\) saw \(absent\)/);
});

test('a write that never returned may take effect late, or never', () => {
  assert.equal(verdict(new H().put('1', 1).get('1', 50, 60)), 'ok');
  assert.equal(verdict(new H().put('1', 1).get(null, 50, 60)), 'ok');
  assert.equal(verdict(new H().put('1', 1).get(null, 2, 3).get('1', 50, 60)), 'ok');
  // Once seen, it has taken effect: it cannot be undone.
  assert.equal(verdict(new H().put('1', 1).get('1', 50, 60).get(null, 70, 80)), 'violation');
});

test('a write that never returned cannot take effect before it was invoked', () => {
  const r = new H().get('1', 1, 2).put('1', 10).check();
  assert.equal(r.verdict, 'violation');
  assert.match(
    r.violations[0]?.reason ?? '',
    /#0 \(get\) saw "1", but no write of "1" was invoked before it returned at 2/,
  );
});

test('a failed write never took effect', () => {
  assert.equal(verdict(new H().failedPut('1', 1, 2).get('1', 3, 4)), 'violation');
  assert.equal(verdict(new H().failedPut('1', 1, 2).get(null, 3, 4)), 'ok');
});

test('compare-and-set', () => {
  assert.equal(verdict(new H().cas(null, '1', true, 1, 2).get('1', 3, 4)), 'ok');
  assert.equal(verdict(new H().cas(null, '1', false, 1, 2)), 'violation'); // key was absent
  assert.equal(
    verdict(
      new H().put('1', 1, 2).cas('1', '2', true, 3, 4).cas('1', '3', false, 5, 6).get('2', 7, 8),
    ),
    'ok',
  );
  // Two clients cas from the same value at once: only one may win.
  assert.equal(
    verdict(new H().put('0', 1, 2).cas('0', 'a', true, 3, 6).cas('0', 'b', true, 4, 7)),
    'violation',
  );
  assert.equal(
    verdict(
      new H().put('0', 1, 2).cas('0', 'a', true, 3, 6).cas('0', 'b', false, 4, 7).get('a', 8, 9),
    ),
    'ok',
  );
  // An unanswered cas swaps only if it sees the expected value.
  assert.equal(verdict(new H().put('0', 1, 2).cas('0', 'a', true, 3).get('a', 10, 11)), 'ok');
  assert.equal(
    verdict(new H().put('9', 1, 2).cas('0', 'a', true, 3).get('a', 10, 11)),
    'violation',
  );
});

test('only the bad key is reported when several keys are checked', () => {
  const h = new H();
  for (let i = 0; i < 20; i++) h.put(`${i}`, 10 * i, 10 * i + 5, `ok${i % 4}`);
  h.put('x', 1, 2, 'bad').put('y', 3, 4, 'bad').get('x', 5, 6, 'bad');
  for (let i = 0; i < 4; i++) h.get(`${16 + i}`, 300, 301, `ok${i}`);
  const r = h.check();
  assert.equal(r.verdict, 'violation');
  assert.deepEqual(
    r.violations.map((v) => v.key),
    ['bad'],
  );
  assert.equal(r.keys.filter((k) => k.verdict === 'ok').length, 4);
  assert.match(formatCheckResult(r), /linearizability: violation \(5 keys/);
});

test('the search bound yields unknown instead of hanging', () => {
  // 24 concurrent puts and a read of a value nobody wrote: refuting it means
  // trying every subset of the puts (the memo cannot collapse them).
  const h = new H();
  for (let i = 0; i < 24; i++) h.put(`${i}`, i, 1000);
  h.get('never written', 100, 2000);
  const byStep = checkLinearizability(h.ops, { maxStepsPerKey: 10_000 });
  assert.equal(byStep.verdict, 'unknown');
  assert.deepEqual(byStep.unknownKeys, ['k']);
  const byTime = checkLinearizability(h.ops, { maxStepsPerKey: Infinity, timeLimitMs: 1 });
  assert.equal(byTime.verdict, 'unknown');
  // With few enough puts the same shape is refuted.
  const small = new H();
  for (let i = 0; i < 8; i++) small.put(`${i}`, i, 1000);
  small.get('never written', 100, 2000);
  assert.equal(verdict(small), 'violation');
});

test('a violation buried in a long history is explained by a few operations', () => {
  const h = new H();
  let t = 0;
  for (let i = 0; i < 300; i++) {
    // Overlapping puts and reads, all consistent with the order of invocation...
    h.put(`${i}`, t, t + 3).get(`${i}`, t + 4, t + 5);
    t += 6;
  }
  h.get('100', t, t + 1); // ...then one stale read.
  const r = h.check();
  assert.equal(r.verdict, 'violation');
  const v = r.violations[0];
  assert.ok(v);
  assert.ok(v.ops.length <= 3, v.text);
  assert.ok(
    v.ops.some((o) => o.id === h.ops.length - 1),
    'the stale read is named',
  );
  assert.ok(v.minimal);
  assert.match(v.reason, /#600 \(get\) saw "100", but #\d+ overwrote it with "\d+"/);
});

// ------------------------------------------------------------ properties

type Step =
  | { kind: 'get'; key: string }
  | { kind: 'put'; key: string; value: Value }
  | { kind: 'cas'; key: string; expected: Value; value: Value };

const keyArb = fc.constantFrom('a', 'b', 'c');
const valArb = fc.option(fc.constantFrom('1', '2', '3'), { nil: null });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('get' as const), key: keyArb }),
  fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valArb }),
  fc.record({ kind: fc.constant('cas' as const), key: keyArb, expected: valArb, value: valArb }),
);

/**
 * Runs `steps` one at a time against a real register, at times 10, 20, ...;
 * each operation's interval covers its moment by up to `spread` either side.
 * `fate` turns some into unanswered ones (still applied) or failed ones (not applied).
 */
function sequentialHistory(
  steps: Step[],
  widen: Array<[number, number]>,
  fate: Array<'ok' | 'unknown' | 'fail'>,
): Operation[] {
  const reg = new Map<string, Value>();
  return steps.map((s, i) => {
    const at = 10 * (i + 1);
    const [before, after] = widen[i] ?? [0, 0];
    const status = fate[i] ?? 'ok';
    const base = { id: i, client: `c${i % 5}`, key: s.key, invokeTime: at - before, status };
    const ret = status === 'unknown' ? {} : { returnTime: at + after };
    const cur = reg.get(s.key) ?? null;
    const applied = status !== 'fail';
    if (s.kind === 'get') {
      return { ...base, ...ret, kind: 'get', ...(status === 'ok' ? { observed: cur } : {}) };
    }
    if (s.kind === 'put') {
      if (applied) reg.set(s.key, s.value);
      return { ...base, ...ret, kind: 'put', value: s.value };
    }
    const swapped = cur === s.expected;
    if (applied && swapped) reg.set(s.key, s.value);
    return {
      ...base,
      ...ret,
      kind: 'cas',
      expected: s.expected,
      value: s.value,
      ...(status === 'ok' ? { swapped } : {}),
    };
  });
}

test('property: a sequential run of a real register with overlapping intervals is linearizable', () => {
  fc.assert(
    fc.property(
      fc.array(stepArb, { maxLength: 60, size: 'max' }).chain((steps) =>
        fc.tuple(
          fc.constant(steps),
          fc.array(fc.tuple(fc.nat(25), fc.nat(25)), {
            minLength: steps.length,
            maxLength: steps.length,
          }),
          fc.array(fc.constantFrom('ok', 'ok', 'ok', 'ok', 'unknown', 'fail' as const), {
            minLength: steps.length,
            maxLength: steps.length,
          }),
        ),
      ),
      ([steps, widen, fate]) => {
        const r = checkLinearizability(sequentialHistory(steps, widen, fate));
        assert.equal(r.verdict, 'ok', formatCheckResult(r));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: changing one read in a sequential history makes it a violation', () => {
  fc.assert(
    fc.property(
      fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
      fc.nat(),
      fc.constantFrom('1', '2', '3', 'other', null),
      (steps, pick, wrong) => {
        const ops = sequentialHistory(steps, [], []); // intervals do not overlap
        const gets = ops.filter((o) => o.kind === 'get');
        fc.pre(gets.length > 0);
        const g = gets[pick % gets.length] as Extract<Operation, { kind: 'get' }>;
        fc.pre(g.observed !== wrong);
        g.observed = wrong;
        const r = checkLinearizability(ops);
        assert.equal(r.verdict, 'violation');
        assert.deepEqual(
          r.violations.map((v) => v.key),
          [g.key],
        );
        assert.ok(r.violations[0]?.ops.includes(g), r.violations[0]?.text);
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * `clients` clients, each with one operation in flight at a time, on `keys`
 * keys of a real register. Each operation takes effect at a random moment
 * inside its interval; about 2% get no answer (and take effect or not).
 */
function concurrentHistory(
  seed: number,
  total: number,
  clients: number,
  keys: number,
): Operation[] {
  let s = seed >>> 0;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 0x100000000) * n);
  };
  const cursor = new Array<number>(clients).fill(0);
  const planned: Array<{ op: Operation; at: number; happens: boolean }> = [];
  for (let id = 0; id < total; id++) {
    const c = rand(clients);
    const invokeTime = (cursor[c] as number) + rand(5);
    const returnTime = invokeTime + 1 + rand(30);
    cursor[c] = returnTime;
    const key = `k${rand(keys)}`;
    const unanswered = rand(50) === 0;
    const base = { id, client: `c${c}`, key, invokeTime, status: 'ok' as const, returnTime };
    // Mostly integers, so that increments apply; 'x' makes them fail.
    const value = rand(8) === 0 ? 'x' : `${rand(4)}`;
    const r = rand(4);
    const op: Operation =
      r === 0
        ? { ...base, kind: 'get' }
        : r === 1
          ? { ...base, kind: 'put', value }
          : r === 2
            ? { ...base, kind: 'cas', expected: `${rand(4)}`, value }
            : { ...base, kind: 'incr', delta: rand(3) - 1 };
    if (unanswered) {
      op.status = 'unknown';
      delete op.returnTime;
    }
    planned.push({
      op,
      at: invokeTime + rand(returnTime - invokeTime + 1),
      happens: !unanswered || rand(2) === 0,
    });
  }
  planned.sort((a, b) => a.at - b.at || a.op.id - b.op.id);
  const reg = new Map<string, Value>();
  for (const { op, happens } of planned) {
    if (!happens) continue;
    const cur = reg.get(op.key) ?? null;
    if (op.kind === 'get') {
      if (op.status === 'ok') op.observed = cur;
    } else if (op.kind === 'put') {
      reg.set(op.key, op.value);
    } else if (op.kind === 'incr') {
      // A value that is not an integer is an error reply: no effect.
      const n = integerOf(cur);
      if (n === null) {
        if (op.status === 'ok') op.status = 'fail';
        continue;
      }
      const after = String(n + BigInt(op.delta));
      reg.set(op.key, after);
      if (op.status === 'ok') op.result = after;
    } else {
      if (cur === op.expected) reg.set(op.key, op.value);
      if (op.status === 'ok') op.swapped = cur === op.expected;
    }
  }
  return planned.map((p) => p.op).sort((a, b) => a.id - b.id);
}

test('property: concurrent clients on a real register are linearizable', () => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const ops = concurrentHistory(seed, 200, 4, 2);
      const r = checkLinearizability(ops);
      assert.equal(r.verdict, 'ok', formatCheckResult(r));
    }),
    { numRuns: 100 },
  );
});

test('2,000 operations, 5 keys, 5 concurrent clients: ok, and a planted impossible read is found', (t) => {
  const ops = concurrentHistory(42, 2000, 5, 5);
  const t0 = performance.now();
  const r = checkLinearizability(ops);
  const okMs = performance.now() - t0;
  assert.equal(r.verdict, 'ok', formatCheckResult(r));
  // Plant a read of a value long overwritten, at the end of the history.
  const last = Math.max(...ops.map((o) => o.returnTime ?? o.invokeTime));
  const first = ops.find((o) => o.kind === 'put' && o.key === 'k0' && o.status === 'ok');
  assert.ok(first && first.kind === 'put');
  const later = ops.filter(
    (o) => o.key === 'k0' && o.kind === 'put' && o.status === 'ok' && o.value !== first.value,
  );
  fc.pre(later.length > 0);
  ops.push({
    id: ops.length,
    client: 'late',
    key: 'k0',
    kind: 'put',
    value: 'fresh',
    invokeTime: last + 1,
    returnTime: last + 2,
    status: 'ok',
  });
  ops.push({
    id: ops.length,
    client: 'late',
    key: 'k0',
    kind: 'get',
    observed: 'never-written',
    invokeTime: last + 3,
    returnTime: last + 4,
    status: 'ok',
  });
  const t1 = performance.now();
  const bad = checkLinearizability(ops);
  const badMs = performance.now() - t1;
  assert.equal(bad.verdict, 'violation');
  assert.deepEqual(
    bad.violations.map((v) => v.key),
    ['k0'],
  );
  t.diagnostic(
    `2000 ops/5 keys/5 clients: ok in ${okMs.toFixed(1)} ms (${r.steps} steps); ` +
      `violation found and explained in ${badMs.toFixed(1)} ms (${bad.violations[0]?.ops.length} ops)`,
  );
});

/** Brute force: try every order of every subset of the unanswered writes. */
function bruteForceLinearizable(history: Operation[]): boolean {
  const ops = history.filter(
    (o) => o.status === 'ok' || (o.status === 'unknown' && o.kind !== 'get'),
  );
  const end = (o: Operation): number => (o.status === 'ok' ? (o.returnTime as number) : Infinity);
  const answered = ops.filter((o) => o.status === 'ok').length;
  const used = new Set<Operation>();
  const reg = new Map<string, Value>();
  const extend = (done: number): boolean => {
    if (done === answered) return true;
    for (const o of ops) {
      if (used.has(o)) continue;
      // Every operation that returned before o was invoked must already be placed.
      if (ops.some((p) => !used.has(p) && p !== o && end(p) < o.invokeTime)) continue;
      const cur = reg.get(o.key) ?? null;
      let next = cur;
      if (o.kind === 'get') {
        if (o.observed !== cur) continue;
      } else if (o.kind === 'put') {
        next = o.value;
      } else if (o.kind === 'incr') {
        const n = integerOf(cur);
        if (n === null) {
          if (o.status === 'ok') continue;
        } else {
          next = String(n + BigInt(o.delta));
          if (o.status === 'ok' && o.result !== next) continue;
        }
      } else {
        const match = cur === o.expected;
        if (o.status === 'ok' && o.swapped !== match) continue;
        if (match) next = o.value;
      }
      used.add(o);
      reg.set(o.key, next);
      if (extend(done + (o.status === 'ok' ? 1 : 0))) return true;
      reg.set(o.key, cur);
      used.delete(o);
    }
    return false;
  };
  return extend(0);
}

test('property: the checker agrees with brute force on small random histories', () => {
  const v = fc.constantFrom<Value>('1', '2', null);
  const opArb = fc.record({
    kind: fc.constantFrom('get' as const, 'put' as const, 'cas' as const, 'incr' as const),
    delta: fc.constantFrom(1, -1),
    key: fc.constantFrom('a', 'b'),
    value: v,
    expected: v,
    swapped: fc.boolean(),
    invokeTime: fc.nat(20),
    length: fc.nat(10),
    status: fc.constantFrom('ok', 'ok', 'ok', 'unknown', 'fail' as const),
  });
  let violations = 0;
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 7 }), (raw) => {
      const ops = raw.map((r, id): Operation => {
        const base = {
          id,
          client: `c${id}`,
          key: r.key,
          invokeTime: r.invokeTime,
          status: r.status,
          ...(r.status === 'unknown' ? {} : { returnTime: r.invokeTime + r.length }),
        };
        const ok = r.status === 'ok';
        if (r.kind === 'get') return { ...base, kind: 'get', ...(ok ? { observed: r.value } : {}) };
        if (r.kind === 'put') return { ...base, kind: 'put', value: r.value };
        if (r.kind === 'incr') {
          const result = r.value ?? '0';
          return { ...base, kind: 'incr', delta: r.delta, ...(ok ? { result } : {}) };
        }
        return {
          ...base,
          kind: 'cas',
          expected: r.expected,
          value: r.value,
          ...(ok ? { swapped: r.swapped } : {}),
        };
      });
      const expected = bruteForceLinearizable(ops);
      const r = checkLinearizability(ops);
      assert.equal(r.verdict, expected ? 'ok' : 'violation', JSON.stringify(ops));
      if (!expected) {
        violations++;
        assert.ok(r.violations[0] && r.violations[0].ops.length > 0, formatCheckResult(r));
      }
    }),
    { numRuns: 1500 },
  );
  assert.ok(violations > 100, `only ${violations} violating histories were generated`);
});
