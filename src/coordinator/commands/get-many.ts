// Point reads of many keys (MGET, EXISTS). The storage protocol reads one key
// per request; the requests of one batch are in flight together, and batches
// bound how many one command can have outstanding, whatever its key count,
// and how many bytes: a batch asks for no more values than could still fit
// under the output limit if each were as large as --max-value-size. MGET
// keeps the values for its reply; EXISTS drops each batch once counted.

import type { Bytes } from '../../kv/types.js';
import { arrayHeaderBytes, bulkReplyBytes, encodeNull } from '../../resp/reply-encoder.js';
import type { StorageApi } from '../../storage/api.js';
import { CommandError } from '../command-error.js';
import { settingName, type CoordinatorLimits } from '../limits.js';
import { KEYSPACE_GROUP } from './group.js';

/** Storage reads one command keeps in flight at most. */
export const MAX_READS_IN_FLIGHT = 256;

/** A missing key's place in the reply, at its longest: RESP2's null (RESP3's is shorter). */
const NULL_REPLY_BYTES = encodeNull(2).length;

/**
 * Reads `keys` in order, a batch at a time; each batch asks for no more
 * values than `room()` bytes hold at --max-value-size each, framed as a
 * reply (at least one, at most MAX_READS_IN_FLIGHT), and goes to `take`
 * before the next starts.
 */
async function readInBatches(
  storage: StorageApi,
  keys: readonly Bytes[],
  maxValueSize: number,
  room: () => number,
  take: (values: Array<Bytes | null>) => void,
  cancel: AbortSignal | undefined,
): Promise<void> {
  for (let i = 0; i < keys.length;) {
    const most = Math.floor(room() / bulkReplyBytes(maxValueSize));
    const n = Math.max(1, Math.min(MAX_READS_IN_FLIGHT, most));
    const batch = keys.slice(i, i + n);
    i += batch.length;
    take(await Promise.all(batch.map((k) => storage.get(KEYSPACE_GROUP, k, cancel))));
  }
}

/**
 * The values of `keys`, in order (null where absent). Fails with a
 * CommandError once their reply (each value with its RESP framing, and the
 * array's header) adds up to more than --max-output-buffer, so one command
 * cannot build a reply larger than a client may have queued (it would be
 * disconnected instead of told); what it fetches before failing is at most
 * that plus one --max-value-size.
 */
export async function getMany(
  storage: StorageApi,
  keys: readonly Bytes[],
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
  cancel?: AbortSignal,
): Promise<Array<Bytes | null>> {
  const { maxOutputBuffer, maxValueSize } = limits;
  const values: Array<Bytes | null> = [];
  let bytes = arrayHeaderBytes(keys.length);
  await readInBatches(
    storage,
    keys,
    maxValueSize,
    () => maxOutputBuffer - bytes,
    (batch) => {
      for (const v of batch) {
        bytes += v === null ? NULL_REPLY_BYTES : bulkReplyBytes(v.length);
        values.push(v);
      }
      if (bytes > maxOutputBuffer) {
        throw new CommandError(
          `ERR the reply would be larger than the ${maxOutputBuffer}-byte output limit; ask for fewer keys at a time or raise ${settingName('maxOutputBuffer')}`,
        );
      }
    },
    cancel,
  );
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
  cancel?: AbortSignal,
): Promise<number> {
  let present = 0;
  await readInBatches(
    storage,
    keys,
    limits.maxValueSize,
    () => limits.maxOutputBuffer,
    (batch) => {
      for (const v of batch) if (v !== null) present++;
    },
    cancel,
  );
  return present;
}
