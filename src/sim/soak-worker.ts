// One worker thread of a parallel soak (main.ts --jobs): runs its share of
// the seeds and posts each result to the main thread.

import { parentPort, workerData } from 'node:worker_threads';
import type { PlanOverrides } from './seed-plan.js';
import { runSeeds, type Share } from './soak.js';

export interface SoakJob {
  start: number;
  count: number;
  overrides: PlanOverrides;
  share: Share;
}

const job = workerData as SoakJob;
runSeeds(
  job.start,
  job.count,
  job.overrides,
  (result, failure) => parentPort?.postMessage({ result, failure }),
  {},
  job.share,
);
