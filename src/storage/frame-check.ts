// Whether the engine's frame (STORAGE_MAX_FRAME_SIZE) carries every entry of
// its Raft logs where the coordinator needs it, checked at start. A node
// answers a write once it is committed, before its own engine applies it:
// an engine killed then and started with a smaller frame held an entry the
// coordinator must send back in an apply request but could not, so the node
// never finished loading and said why only in its log. An entry already
// applied is only read back (at every load), in a reply of up to
// REPLY_FRAME_FACTOR frames. An engine whose frame cannot do either refuses
// to start and says what to set, as for any setting its data contradicts.
// (The state machine's values are not checked: that would read them all.)

import { BATCH_ITEM_OVERHEAD_BYTES } from './api.js';
import { BATCH_FIXED_BYTES, HEADER_BYTES, REPLY_FRAME_FACTOR } from './protocol.js';

/** The largest entry of a group's log on one side of its applied index. */
export interface LogEntrySize {
  group: number;
  index: number;
  bytes: number;
  /** At or below the group's applied index: read back at a load, never applied again. */
  applied: boolean;
}

/** A log read reply's bytes besides its one entry: its header, count, first index, entry length. */
const READ_REPLY_FIXED_BYTES = HEADER_BYTES + 4 + 8 + 4;

/** The engine's frame would not let its coordinator load the log it holds. */
export class FrameTooSmallError extends Error {
  override name = 'FrameTooSmallError';
}

/** The smallest frame that carries `e` where the coordinator needs it. */
export function frameFor(e: LogEntrySize): number {
  if (e.applied) return Math.ceil((e.bytes + READ_REPLY_FIXED_BYTES) / REPLY_FRAME_FACTOR);
  // Conservative: the apply carries the entry's command, a little less than the stored entry.
  return e.bytes + BATCH_ITEM_OVERHEAD_BYTES + BATCH_FIXED_BYTES;
}

/** Throws FrameTooSmallError for the first of `entries` a frame of `maxFrameBytes` cannot carry. */
export function checkFrame(entries: readonly LogEntrySize[], maxFrameBytes: number): void {
  for (const e of entries) {
    const need = frameFor(e);
    if (need <= maxFrameBytes) continue;
    const held =
      `the Raft log of group ${e.group} holds an entry of ${e.bytes} bytes (index ${e.index}) ` +
      `that STORAGE_MAX_FRAME_SIZE ${maxFrameBytes} (--max-frame-size) cannot carry`;
    throw new FrameTooSmallError(
      e.applied
        ? `${held} back to the node at its next load (a reply holds at most ${REPLY_FRAME_FACTOR} ` +
            `frames): start the storage engine with STORAGE_MAX_FRAME_SIZE of at least ${need}. ` +
            'The log keeps the entry until its next snapshot (--snapshot-every entries or ' +
            '--snapshot-bytes applied); a smaller frame works after that'
        : `${held} to be applied: the node answered the write once it was committed, and the ` +
            'engine stopped before the apply was durable. Start the storage engine with ' +
            `STORAGE_MAX_FRAME_SIZE of at least ${need}; once the node has applied the entry, ` +
            'a smaller frame works again',
    );
  }
}
