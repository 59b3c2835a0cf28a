// What a read may bring into the coordinator before its reply is written. A
// value's size is known only once the engine has sent it, so a connection
// counts each read in flight at its largest possible reply against
// --max-output-buffer (client-connection.ts): a client pipelining GETs of
// large values then holds a bounded number of them, not --max-pipeline. A
// write that answers with a stored value (SET … GET, GETSET, GETDEL: the value it replaced)
// counts the same way. A value stored before --max-value-size was lowered is
// larger than its reserve; a connection cut off for that at the output limit
// has its reads not yet sent to the engine dropped (CommandContext.gone), so
// the engine does not fetch the rest for nobody.

import { bulkReplyBytes } from '../resp/reply-encoder.js';
import { keyCount, type CommandSpec } from './command-table.js';
import { backupChunkBytes } from './commands/backup-commands.js';
import { oneValueReplyBytes, type CoordinatorLimits } from './limits.js';
import { parseSetOptions } from './set-options.js';

/**
 * The largest reply bytes a read can hold: a --max-value-size value with its
 * RESP framing for each key it names (one for a read without keys: a SCAN
 * page is about that size), at most --max-output-buffer (getMany refuses an
 * MGET beyond it). A BACKUP CHUNK holds its chunk; BACKUP BEGIN and END
 * answer a few words, as a write does.
 */
export function readReserve(
  spec: CommandSpec,
  args: readonly Buffer[],
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
): number {
  if (spec.name === 'backup') {
    const chunk = args[1]?.toString('latin1').toUpperCase() === 'CHUNK';
    return chunk ? bulkReplyBytes(backupChunkBytes(limits)) : 0;
  }
  const values = Math.max(1, keyCount(spec, args.length));
  return Math.min(limits.maxOutputBuffer, values * oneValueReplyBytes(limits.maxValueSize));
}

/** Whether a write answers with the value it replaced: SET (or PUT) with the GET option, GETSET, GETDEL. */
function returnsOldValue(spec: CommandSpec, args: readonly Buffer[]): boolean {
  if (spec.name === 'set' || spec.name === 'put') {
    try {
      return parseSetOptions(args, 3).returnOld;
    } catch {
      return false; // malformed options: the command fails with their error, holding nothing
    }
  }
  return spec.name === 'getset' || spec.name === 'getdel';
}

/**
 * The largest reply bytes a command of a connection may hold while in
 * flight: a read's (readReserve), one value (with framing) for a write that
 * answers with the value it replaced, 0 for the rest.
 */
export function replyReserve(
  spec: CommandSpec,
  isRead: boolean,
  args: readonly Buffer[],
  limits: Pick<CoordinatorLimits, 'maxOutputBuffer' | 'maxValueSize'>,
): number {
  if (isRead) return readReserve(spec, args, limits);
  return returnsOldValue(spec, args)
    ? Math.min(limits.maxOutputBuffer, oneValueReplyBytes(limits.maxValueSize))
    : 0;
}
