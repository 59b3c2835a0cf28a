// The stats reply (op 0x13), written by the engine (connection.ts) and read
// by the client (client.ts): keys, diskBytes, appliedIndex, then the
// engine-wide counters. Counters added later go at the end; a reply that ends
// before one (an engine from before it) reads it as absent.

import type { GroupStats } from './api.js';
import type { ByteWriter, PayloadReader } from './frame-codec.js';

/** What the engine counts since it started, engine-wide (every group). */
export interface EngineCounters {
  commits: number;
  committedWrites: number;
  walWrites: number;
  walWrittenBytes: number;
}

export function writeStatsReply<W extends ByteWriter>(
  w: W,
  s: { keys: number; diskBytes: number; appliedIndex: number },
  c: EngineCounters,
): W {
  return w
    .u64(s.keys)
    .u64(s.diskBytes)
    .u64(s.appliedIndex)
    .u64(c.commits)
    .u64(c.committedWrites)
    .u64(c.walWrites)
    .u64(c.walWrittenBytes);
}

export function readStatsReply(r: PayloadReader): GroupStats {
  const stats: GroupStats = {
    keys: r.u64(),
    diskBytes: r.u64(),
    appliedIndex: r.u64(),
    commits: r.u64(),
    committedWrites: r.u64(),
  };
  if (r.remaining > 0) {
    stats.walWrites = r.u64();
    stats.walWrittenBytes = r.u64();
  }
  r.end();
  return stats;
}
