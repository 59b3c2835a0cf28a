// Runs the compiled test suites in rings: unit, then simulation, then end-to-end.
// A ring that fails stops the run, so the fast feedback comes first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const rings = ['dist/test/unit/', 'dist/test/sim/', 'dist/test/e2e/'].filter((d) => existsSync(d));
for (const dir of rings) {
  console.log(`\n== ${dir}`);
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=2', '--test-timeout=300000', dir],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
