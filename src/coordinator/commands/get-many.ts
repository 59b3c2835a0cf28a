// Point reads of many keys (MGET, EXISTS). The storage protocol reads one key
// per request; the requests of one batch are in flight together, and batches
// bound how many one command can have outstanding, whatever its key count,
// and how many bytes: a batch asks for no more values than could still fit
// under the output limit if each were as large as --max-value-size. MGET
// keeps the values for its reply; EXISTS drops each batch once counted.

import type { Bytes } from '../../kv/types.js';
import type { StorageApi } from '../../storage/api.js';
import { CommandError } from '../command-error.js';
import { settingName, type CoordinatorLimits } from '../limits.js';
import { KEYSPACE_GROUP } from './group.js';

/** Storage reads one command keeps in flight at most. */
export const MAX_READS_IN_FLIGHT = 256;

/**
 * The values of `keys`, in order (null where absent). Fails with a
 * CommandError once they add up to more than --max-output-buffer, so one
 * command cannot build a reply larger than a client may have queued; what it
 * fetches before failing is at most that plus one --max-value-size.
 */
export async function getMany(
  storage: StorageApi,
  keys: readonly Bytes[],
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
): Promise<Array<Bytes | null>> {
  const { maxOutputBuffer, maxValueSize } = limits;
  const values: Array<Bytes | null> = [];
  let bytes = 0;
  for (let i = 0; i < keys.length;) {
    const room = Math.floor((maxOutputBuffer - bytes) / maxValueSize);
    const batch = keys.slice(i, i + Math.max(1, Math.min(MAX_READS_IN_FLIGHT, room)));
    i += batch.length;
    for (const v of await Promise.all(batch.map((k) => storage.get(KEYSPACE_GROUP, k)))) {
      bytes += v?.length ?? 0;
      values.push(v);
    }
    if (bytes > maxOutputBuffer) {
      throw new CommandError(
        `ERR the reply would be larger than the ${maxOutputBuffer}-byte output limit; ask for fewer keys at a time or raise ${settingName('maxOutputBuffer')}`,
      );
    }
  }
  return values;
}

/**
 * How many of `keys` exist (a key named twice counts twice). Only one batch
 * of values is held at a time, so no output limit applies: the reply is one
 * integer, however large the values.
 */
export async function countPresent(
  storage: StorageApi,
  keys: readonly Bytes[],
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
): Promise<number> {
  const per = Math.max(
    1,
    Math.min(MAX_READS_IN_FLIGHT, Math.floor(limits.maxOutputBuffer / limits.maxValueSize)),
  );
  let present = 0;
  for (let i = 0; i < keys.length; i += per) {
    const batch = keys.slice(i, i + per);
    for (const v of await Promise.all(batch.map((k) => storage.get(KEYSPACE_GROUP, k)))) {
      if (v !== null) present++;
    }
  }
  return present;
}
