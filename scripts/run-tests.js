// Runs the compiled test suites in rings: unit, then simulation, then
// end-to-end, then fault (real clusters under kills, pauses and partitions).
// A ring that fails stops the run, so the fast feedback comes first.
// Fault tests run one file at a time: they share the node addresses
// 127.0.0.11+ and the iptables chain.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const rings = [
  { dir: 'dist/test/unit/', concurrency: 2 },
  { dir: 'dist/test/sim/', concurrency: 2 },
  { dir: 'dist/test/e2e/', concurrency: 2 },
  { dir: 'dist/test/fault/', concurrency: 1 },
].filter((r) => existsSync(r.dir));
for (const { dir, concurrency } of rings) {
  console.log(`\n== ${dir}`);
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', dir],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
