// V8 optimises a function once it has used up its interrupt budget (bytecode
// run, 66 KB in Node 20) about three times. A node's per-batch paths (a read
// round, a getMany, an append to a peer or to the engine) run a few hundred
// to a few thousand times a second, so under load they reached optimised
// code only 5–10 s after it began, and at one client not within a
// benchmark's 7 s run, which did a fifth fewer puts for it. With a 4 KB
// budget they are optimised within 1–2 s (docs/performance-log.md, lever 27).

import { setFlagsFromString } from 'node:v8';

export const INTERRUPT_BUDGET_BYTES = 4096;

/** V8 accepts `--interrupt-budget=N` and `--interrupt_budget=N`. */
const BUDGET_FLAG = /^--interrupt[-_]budget(=|$)/;

/**
 * Lowers V8's interrupt budget for this process, unless its command line
 * sets one (`node --interrupt-budget=N`, which V8 read at start). It applies
 * to every function from its next budget on, so call it before the commands
 * load. Returns whether it set the flag.
 */
export function tierUpSooner(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (execArgv.some((a) => BUDGET_FLAG.test(a))) return false;
  setFlags(`--interrupt-budget=${INTERRUPT_BUDGET_BYTES}`);
  return true;
}
