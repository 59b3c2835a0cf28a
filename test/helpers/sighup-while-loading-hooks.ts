// Module hooks that send the process SIGHUP once, at the moment it resolves
// node-command.js: while distdb's command modules load, before any command's
// own handler can be installed. A process that had not caught SIGHUP by then
// dies of it.

import type { ResolveHook } from 'node:module';

let sent = false;

export const resolve: ResolveHook = async (specifier, context, next) => {
  if (!sent && specifier.endsWith('/node-command.js')) {
    sent = true;
    process.kill(process.pid, 'SIGHUP');
  }
  return next(specifier, context);
};
