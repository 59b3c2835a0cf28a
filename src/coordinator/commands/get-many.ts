// Point reads of many keys (MGET, EXISTS). The storage protocol reads one key
// per request; the requests of one batch are in flight together, and batches
// bound how many one command can have outstanding, whatever its key count.

import type { Bytes } from '../../kv/types.js';
import type { StorageApi } from '../../storage/api.js';
import { KEYSPACE_GROUP } from './group.js';

/** Storage reads one command keeps in flight at most. */
export const MAX_READS_IN_FLIGHT = 256;

export async function getMany(
  storage: StorageApi,
  keys: readonly Bytes[],
): Promise<Array<Bytes | null>> {
  if (keys.length <= MAX_READS_IN_FLIGHT) {
    return Promise.all(keys.map((k) => storage.get(KEYSPACE_GROUP, k)));
  }
  const values: Array<Bytes | null> = [];
  for (let i = 0; i < keys.length; i += MAX_READS_IN_FLIGHT) {
    const batch = keys.slice(i, i + MAX_READS_IN_FLIGHT);
    values.push(...(await Promise.all(batch.map((k) => storage.get(KEYSPACE_GROUP, k)))));
  }
  return values;
}
