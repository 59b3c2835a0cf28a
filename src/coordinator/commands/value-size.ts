// The value-size limit, checked before anything is sent to storage, so an
// oversized value is refused whole and nothing is written.

import { CommandError } from '../command-error.js';
import type { CommandContext } from '../command-context.js';
import { settingName } from '../limits.js';

export function checkValueSize(ctx: CommandContext, value: Uint8Array): void {
  const max = ctx.node.limits.maxValueSize;
  if (value.length > max) {
    throw new CommandError(
      `ERR value is ${value.length} bytes, larger than the ${max}-byte limit; store a smaller value or raise ${settingName('maxValueSize')}`,
    );
  }
}
