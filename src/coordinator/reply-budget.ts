// What a read may bring into the coordinator before its reply is written. A
// value's size is known only once the engine has sent it, so a connection
// counts each read in flight at its largest possible reply against
// --max-output-buffer (client-connection.ts): a client pipelining GETs of
// large values then holds a bounded number of them, not --max-pipeline.

import { keyCount, type CommandSpec } from './command-table.js';
import type { CoordinatorLimits } from './limits.js';

/**
 * The largest reply bytes a read of `argc` words can hold: --max-value-size
 * for each key it names (one for a read without keys: a SCAN page or a backup
 * chunk is about that size), at most --max-output-buffer (getMany refuses an
 * MGET beyond it).
 */
export function readReserve(
  spec: CommandSpec,
  argc: number,
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
): number {
  const values = Math.max(1, keyCount(spec, argc));
  return Math.min(limits.maxOutputBuffer, values * limits.maxValueSize);
}
