// `npm run jepsen -- --check FILE` judges a saved history again; an
// "unknown" verdict (the search ran out of steps) says how to search further,
// and `--max-steps` gives it the steps.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../../../scripts/jepsen.js', import.meta.url));

/** One client's operation on key k, answered ok. */
function op(id: number, invokeTime: number, returnTime: number, fields: object): object {
  return { id, client: `c${id}`, key: 'k', invokeTime, returnTime, status: 'ok', ...fields };
}

/** Two overlapping puts, then a read of the one that must have come last. */
const HISTORY = {
  format: 'distdb-history',
  version: 1,
  ops: [
    op(0, 1, 2, { kind: 'put', value: 'a' }),
    op(1, 3, 10, { kind: 'put', value: 'b' }),
    op(2, 4, 11, { kind: 'put', value: 'c' }),
    op(3, 12, 13, { kind: 'get', observed: 'b' }),
  ],
};

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Judges HISTORY, saved to a file, with `args`. */
function check(args: string[]): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'distdb-jepsen-check-'));
  try {
    const file = join(dir, 'history.json');
    writeFileSync(file, JSON.stringify(HISTORY));
    return run(['--check', file, ...args]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a saved history is judged again', () => {
  const r = check([]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /linearizability: ok/);
});

test('a search out of steps says so, and how to judge it with more', () => {
  const r = check(['--max-steps', '1']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /linearizability: unknown/);
  assert.match(r.out, /ran out of steps .* --check \S+history\.json --max-steps 50\b/);
});

test('--max-steps refuses a count it cannot use', () => {
  const r = check(['--max-steps', '0']);
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /--max-steps must be an integer >= 1, got "0"/);
});

test('--max-steps without --check is refused before a run starts', () => {
  // --nodes 1 is refused too, a line later: were --max-steps let through,
  // the run would still not start here, and the message would differ.
  const r = run(['--max-steps', '5', '--nodes', '1']);
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, /--max-steps is for --check/);
});
