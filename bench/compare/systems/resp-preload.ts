import { connect } from '../../../src/client/index.js';
import type { KeySpace } from '../keyspace.js';
import { inBatches } from './batches.js';

/** Fills the key space of a RESP server with MSETs of 500 keys, 8 in flight on one pipelined connection. */
export async function respPreload(
  port: number,
  space: KeySpace,
  progress: (written: number) => void,
): Promise<void> {
  const c = await connect({ port, timeoutMs: 60_000 });
  const { keys, value } = space;
  try {
    await inBatches(
      keys.length,
      500,
      8,
      (from, to) => c.mset(keys.slice(from, to).map((k) => [k, value] as const)),
      progress,
    );
  } finally {
    await c.close();
  }
}
