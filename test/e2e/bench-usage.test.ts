// Every benchmark script answers --help with what it measures and its
// options, and refuses an unknown option or a value it cannot use in one
// line that points at --help (exit 2), without a stack trace. Each command line also carries a value
// the script refuses before it starts anything, so a script that ignored
// --help or the unknown option would still not run a benchmark here.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const BENCH = fileURLToPath(new URL('../../bench/', import.meta.url));

const SCRIPTS: ReadonlyArray<{ file: string; name: string; refused: string[] }> = [
  { file: 'engine-path.js', name: 'engine-path', refused: ['--seconds', '0'] },
  { file: 'engine-reads.js', name: 'engine-reads', refused: ['--batch', '0'] },
  { file: 'socket-round-trip.js', name: 'socket-round-trip', refused: ['--trips', '0'] },
  { file: 'storage.js', name: 'storage', refused: ['--seconds', '0'] },
  { file: 'main.js', name: 'bench', refused: ['--workload', 'none'] },
  { file: 'attack-report.js', name: 'attack-report', refused: ['no-such-attack'] },
  { file: 'compare/main.js', name: 'bench:compare', refused: ['--systems', 'none'] },
  { file: 'load-keys.js', name: 'load-keys', refused: ['--port', '1', '--keys', '0'] },
  { file: 'install-writes.js', name: 'install-writes', refused: ['--keys', '0'] },
  { file: 'install-memory.js', name: 'install-memory', refused: ['--keys', '0'] },
];

function run(file: string, args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BENCH + file, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

for (const s of SCRIPTS) {
  const escaped = s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  test(`bench/${s.file} --help says what it measures and lists its options`, () => {
    const r = run(s.file, ['--help', ...s.refused]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^Usage: /);
    assert.ok(r.out.split('\n').length >= 4, r.out);
    if (s.name !== 'attack-report') assert.match(r.out, /--\S+ <\S+>.*\(default/, r.out);
  });

  test(`bench/${s.file} refuses an unknown option in one line that points at --help`, () => {
    const r = run(s.file, ['--bogus', ...s.refused]);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, new RegExp(`^${escaped}: unknown option '--bogus'; see .+ --help\\n$`));
  });

  test(`bench/${s.file} refuses a value it cannot use in one line that points at --help`, () => {
    const r = run(s.file, s.refused);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, new RegExp(`^${escaped}: [^\\n]+; see .+ --help\\n$`));
  });
}
