// Point reads of many keys (MGET, EXISTS). The storage protocol reads one key
// per request; the requests of one batch are in flight together, and batches
// bound how many one command can have outstanding, whatever its key count.

import type { Bytes } from '../../kv/types.js';
import type { StorageApi } from '../../storage/api.js';
import { CommandError } from '../command-error.js';
import { settingName } from '../limits.js';
import { KEYSPACE_GROUP } from './group.js';

/** Storage reads one command keeps in flight at most. */
export const MAX_READS_IN_FLIGHT = 256;

/**
 * The values of `keys`, in order (null where absent). Fails with a
 * CommandError once they add up to more than `maxBytes`, so one command
 * cannot build a reply larger than a client may have queued.
 */
export async function getMany(
  storage: StorageApi,
  keys: readonly Bytes[],
  maxBytes: number,
): Promise<Array<Bytes | null>> {
  const values: Array<Bytes | null> = [];
  let bytes = 0;
  for (let i = 0; i < keys.length; i += MAX_READS_IN_FLIGHT) {
    const batch = keys.slice(i, i + MAX_READS_IN_FLIGHT);
    for (const v of await Promise.all(batch.map((k) => storage.get(KEYSPACE_GROUP, k)))) {
      bytes += v?.length ?? 0;
      values.push(v);
    }
    if (bytes > maxBytes) {
      throw new CommandError(
        `ERR the reply would be larger than the ${maxBytes}-byte output limit; ask for fewer keys at a time or raise ${settingName('maxOutputBuffer')}`,
      );
    }
  }
  return values;
}
