// The one place a distdb process makes its logger. Every line goes to stderr
// and names its node (`node`) and, through child loggers, its component
// (storage, coordinator, raft, peer, supervisor). JSON lines by default, for
// log collectors; human-readable (pino-pretty) when stderr is a terminal or
// with --log-format pretty. Messages for a person at the command line (usage
// errors, the ready lines, the client's output) are plain text, not logs.

import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pretty from 'pino-pretty';
import type { LogSettings } from './log-options.js';

/** pino-pretty, loaded only for pretty logs: a node's processes log JSON, and it costs CPU to load. */
function loadPretty(): typeof pretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof pretty;
}

/**
 * The process's root logger: every line carries `node` (this node's id);
 * callers add their component with `.child({ component })`. Writes are
 * synchronous, so nothing is lost when the process exits right after.
 */
export function createLogger(s: LogSettings, node: string): Logger {
  const options = {
    level: s.level,
    base: { node, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (s.format === 'pretty') {
    return pino(
      options,
      loadPretty()({
        destination: 2,
        sync: true,
        colorize: process.stderr.isTTY === true,
        // One line each: time, level, node and component first, then the fields.
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,node,component',
        messageFormat: '{node} {component}: {msg}',
      }),
    );
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
