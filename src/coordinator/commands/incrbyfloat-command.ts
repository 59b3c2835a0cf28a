// INCRBYFLOAT key increment: Redis's float counter (float-increment.ts does
// the arithmetic). The coordinator reads the value behind the read fence,
// computes the sum and stores it by compare-and-set, retrying from the value
// the CAS found when another write got there first.
//
// Why CAS and not an 'incrbyfloat' op applied by the engine, as INCR is: a new
// op in the Raft log would be an entry that nodes of an older version cannot
// apply, so a cluster being upgraded one node at a time would stop applying.
// Every node already applies 'cas', and the sum is computed once, here, so all
// replicas store the same text whatever their floating-point hardware.

import { encodeBulk } from '../../resp/reply-encoder.js';
import type { Handler } from '../command-context.js';
import { DEFAULT_REPLICATION } from '../replication/replication-settings.js';
import { tryAgain } from '../replication/client-failure.js';
import { expect } from './expect-result.js';
import { incrementFloat } from './float-increment.js';
import { applyWrite, readValue } from './replicated-access.js';
import { checkValueSize } from './value-size.js';

export const incrbyfloat: Handler = async (ctx, args, version) => {
  const key = args[1] as Buffer;
  const by = args[2] as Buffer;
  // Races are lost only to other writes of the key, each of which succeeds,
  // so retrying makes progress; the bound is a write's own deadline.
  const window = ctx.node.replication?.requestTimeoutMs ?? DEFAULT_REPLICATION.requestTimeoutMs;
  const deadline = Date.now() + window;
  let current = await readValue(ctx, key);
  for (;;) {
    const value = incrementFloat(current, by);
    // At most ~5 KB (1e4932 has 4933 digits), but --max-value-size may be set lower.
    checkValueSize(ctx, value);
    const r = expect(await applyWrite(ctx, { op: 'cas', key, expected: current, value }), 'cas');
    if (r.swapped) return encodeBulk(value, version);
    if (Date.now() >= deadline) {
      throw tryAgain(
        `INCRBYFLOAT lost every race to other writes of the key for ${window} ms`,
        'not-applied',
      );
    }
    current = r.current;
  }
};
