// The short Jepsen-style run of `npm test` (about a minute): concurrent
// clients on all nodes, random kills, pauses and partitions, then the
// linearizability checker. The seed varies per run and is printed; replay a
// failure with `npm run jepsen -- --seed N`. The long run: `npm run jepsen`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runJepsen } from './jepsen.js';
import { FAULT_OUT_DIR } from './fault-fixture.js';

test('jepsen: get/put/cas under kills, pauses and partitions is linearizable', async (t) => {
  const seed = Number(process.env['JEPSEN_SEED'] ?? Math.floor(Math.random() * 1_000_000));
  t.diagnostic(`jepsen seed ${seed} (replay: npm run jepsen -- --seed ${seed} --duration 45)`);
  const report = await runJepsen({
    seed,
    durationMs: 45_000,
    outDir: FAULT_OUT_DIR,
    // Progress as it happens (diagnostics would only show at the end).
    log: (line) => console.log(line),
  });
  t.diagnostic(
    `${report.summary}; longest stretch without a successful op: ${report.longestOutageMs} ms`,
  );
  for (const e of report.faults) t.diagnostic(`  ${e.atMs} ms ${e.text}`);
  for (const [text, n] of report.errors.slice(0, 10)) t.diagnostic(`  ${n}x ${text}`);
  const where = `seed ${seed}; history: ${report.historyPath}; node logs: ${report.logsPath}`;
  assert.ok(report.ok, `${report.problems.join('\n')}\n${where}`);
  assert.equal(report.check.verdict, 'ok');
});
