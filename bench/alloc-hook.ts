// Loaded into every distdb process of a benchmark run with
//   NODE_OPTIONS="--import <repo>/dist/bench/alloc-hook.js" DISTDB_ALLOC_PROFILE_DIR=<dir>
// it samples the process's allocations, the ones the garbage collector has
// collected included (V8's sampling heap profiler, one sample per 4 KiB on
// average), and writes <dir>/<role>-<id>-<pid>.heapprofile when the process
// is stopped. `node dist/bench/alloc-summary.js <dir> <results.json>` reads
// them. Inert without DISTDB_ALLOC_PROFILE_DIR.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.DISTDB_ALLOC_PROFILE_DIR;
const argv = process.argv;
const role = argv.includes('storage') ? 'engine' : argv.includes('node') ? 'coordinator' : null;

if (dir !== undefined && role !== null) {
  // An engine is named for its coordinator, the process that started it.
  const idAt = argv.indexOf('--id');
  const id = role === 'coordinator' && idAt >= 0 ? argv[idAt + 1] : `of-${process.ppid}`;
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    session.post('HeapProfiler.stopSampling', (err, r) => {
      if (err === null && r !== undefined) {
        writeFileSync(
          join(dir, `${role}-${id}-${process.pid}.heapprofile`),
          JSON.stringify(r.profile),
        );
      }
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.prependListener(signal, write);
  process.on('exit', write);
}
