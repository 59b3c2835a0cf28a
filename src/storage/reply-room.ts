// What one reply of the engine may carry. A client accepts reply frames of
// up to REPLY_FRAME_FACTOR times the engine's frame (protocol.ts) and drops
// its connection over a larger one. Writes are bounded by the frame, but a
// value stored under a larger frame (lowered since) can be past that: it is
// refused alone, saying what to set, and the connection serves on.

import { LimitExceededError } from './backend.js';
import { HEADER_BYTES, REPLY_FRAME_FACTOR } from './protocol.js';

/** Bytes a reply's frame may hold after its length prefix, header included. */
export function replyFrameLimit(maxFrameBytes: number): number {
  return maxFrameBytes * REPLY_FRAME_FACTOR;
}

/** A reply that needs a frame of `frameBytes` (header included) to carry a value of `valueBytes`. */
export function valueTooLargeToRead(
  valueBytes: number,
  frameBytes: number,
  maxFrameBytes: number,
): LimitExceededError {
  const need = Math.ceil(frameBytes / REPLY_FRAME_FACTOR);
  return new LimitExceededError(
    `the value is ${valueBytes} bytes, more than a reply of this storage engine carries ` +
      `(${replyFrameLimit(maxFrameBytes) - HEADER_BYTES} bytes: ${REPLY_FRAME_FACTOR} × ` +
      `STORAGE_MAX_FRAME_SIZE ${maxFrameBytes}, less the header); it was stored under a larger ` +
      `frame: restart the storage engine with STORAGE_MAX_FRAME_SIZE of at least ${need} to read it`,
  );
}
