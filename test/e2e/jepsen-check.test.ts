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

/** Two overlapping puts, then a read of the one that must have come last. */
const HISTORY = {
  format: 'distdb-history',
  version: 1,
  ops: [
    {
      id: 0,
      client: 'c0',
      key: 'k',
      invokeTime: 1,
      status: 'ok',
      kind: 'put',
      value: 'a',
      returnTime: 2,
    },
    {
      id: 1,
      client: 'c1',
      key: 'k',
      invokeTime: 3,
      status: 'ok',
      kind: 'put',
      value: 'b',
      returnTime: 10,
    },
    {
      id: 2,
      client: 'c2',
      key: 'k',
      invokeTime: 4,
      status: 'ok',
      kind: 'put',
      value: 'c',
      returnTime: 11,
    },
    {
      id: 3,
      client: 'c3',
      key: 'k',
      invokeTime: 12,
      status: 'ok',
      kind: 'get',
      observed: 'b',
      returnTime: 13,
    },
  ],
};

function check(args: string[]): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'distdb-jepsen-check-'));
  try {
    const file = join(dir, 'history.json');
    writeFileSync(file, JSON.stringify(HISTORY));
    const r = spawnSync(process.execPath, [SCRIPT, '--check', file, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, out: r.stdout + r.stderr };
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
  const r = spawnSync(process.execPath, [SCRIPT, '--max-steps', '5', '--duration', '5'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /--max-steps is for --check/);
  assert.doesNotMatch(r.stdout, /jepsen: seed/);
});
