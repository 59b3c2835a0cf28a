// Runs the compiled test suites in rings: unit, then simulation, then
// end-to-end, then fault (real clusters under kills, pauses and partitions).
// A ring that fails stops the run, so the fast feedback comes first.
// Fault tests run one file at a time: they share the node addresses
// 127.0.0.11+ and the iptables chain.
// A test's timeout only catches a hang. Each simulation soak file is pure CPU,
// ~150 s alone on 2 cores and twice that beside other test runs, so its ring
// allows 15 minutes; the others 5.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const rings = [
  { dir: 'dist/test/unit/', concurrency: 2, timeoutMs: 300_000 },
  { dir: 'dist/test/sim/', concurrency: 2, timeoutMs: 900_000 },
  { dir: 'dist/test/e2e/', concurrency: 2, timeoutMs: 300_000 },
  { dir: 'dist/test/fault/', concurrency: 1, timeoutMs: 300_000 },
].filter((r) => existsSync(r.dir));
for (const { dir, concurrency, timeoutMs } of rings) {
  console.log(`\n== ${dir}`);
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, dir],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
