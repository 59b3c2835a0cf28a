// SIGHUP's default action ends a process. The processes of a node (`distdb
// node`, `distdb coordinator`, `distdb storage`) handle it, with a reload or
// by ignoring it, but their handlers are installed only once their command
// runs, after every module has loaded (about 300 ms). main.ts holds SIGHUP
// before it loads them, so a supervisor's SIGHUP (log rotation, a config
// reload) in those first moments is remembered, not fatal. What stays
// uncovered is Node's own start-up, before any of our code runs (tens of ms).
// Tools and `distdb start` keep SIGHUP's default.

import { runsNodeProcess } from './node-subcommands.js';

let held = 0;
const hold = (): void => {
  held++;
};

/** From now on remembers SIGHUP instead of dying of it, if `subcommand` runs a node process. */
export function holdSighup(subcommand: string | undefined): void {
  if (runsNodeProcess(subcommand)) process.on('SIGHUP', hold);
}

/**
 * Stops holding SIGHUP and returns how many arrived while it was held.
 * Install the command's own handler first, so no SIGHUP finds none.
 */
export function releaseSighup(): number {
  process.off('SIGHUP', hold);
  return held;
}
