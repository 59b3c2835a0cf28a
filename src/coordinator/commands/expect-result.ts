import type { KvResult } from '../../kv/types.js';

/** The result of the expected kind; anything else is a bug between coordinator and engine. */
export function expect<Op extends KvResult['op']>(
  result: KvResult | undefined,
  op: Op,
): Extract<KvResult, { op: Op }> {
  if (result?.op !== op) {
    throw new Error(`storage engine answered ${result?.op ?? 'nothing'} to a ${op} proposal`);
  }
  return result as Extract<KvResult, { op: Op }>;
}
