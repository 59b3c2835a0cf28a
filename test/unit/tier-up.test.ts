import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { INTERRUPT_BUDGET_BYTES, tierUpSooner } from '../../src/cli/tier-up.js';

const TIER_UP = new URL('../../src/cli/tier-up.js', import.meta.url).href;

test('tierUpSooner sets the budget unless the command line chose one', () => {
  const set: string[] = [];
  const record = (flags: string): void => {
    set.push(flags);
  };
  assert.equal(tierUpSooner([], record), true);
  assert.equal(tierUpSooner(['--interrupt-budget-for-feedback-allocation=900'], record), true);
  assert.deepEqual(set, [
    `--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`,
    `--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`,
  ]);
  assert.equal(tierUpSooner(['--interrupt-budget=67584'], record), false);
  assert.equal(tierUpSooner(['--max-old-space-size=512', '--interrupt_budget'], record), false);
  assert.equal(set.length, 2);
});

/** Calls to a small function before V8 optimises it, in a fresh process. */
function callsBeforeOptimised(lowerBudget: boolean): number {
  const script = `
    const { tierUpSooner } = await import(${JSON.stringify(TIER_UP)});
    if (${lowerBudget}) tierUpSooner([]);
    function f(a, b) { return ((a * 31) ^ b) + (a >> 2) - (b << 1); }
    let n = 0;
    // Status bit 16: optimised (V8's OptimizationStatus::kOptimized).
    for (; n < 1e6; n++) { f(n, 3); if (n % 10 === 0 && (eval('%GetOptimizationStatus(f)') & 16)) break; }
    console.log(n);`;
  const out = execFileSync(
    process.execPath,
    [
      '--allow-natives-syntax',
      '--no-concurrent-recompilation',
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8' },
  );
  return Number(out.trim());
}

test('the lowered budget takes effect when set at run time', () => {
  const lowered = callsBeforeOptimised(true);
  const usual = callsBeforeOptimised(false);
  assert.ok(lowered < 1e6 && usual < 1e6, `never optimised: ${lowered}, ${usual}`);
  assert.ok(lowered * 5 <= usual, `optimised after ${lowered} calls, against ${usual} by default`);
});
