// The one place a distdb process makes its logger. Every line goes to stderr
// and names its node (`node`) and, through child loggers, its component
// (storage, coordinator, raft, peer, supervisor). JSON lines by default, for
// log collectors; human-readable (pino-pretty) when stderr is a terminal or
// with --log-format pretty. Messages for a person at the command line (usage
// errors, the ready lines, the client's output) are plain text, not logs.

import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { ConfigError, setting } from './config.js';

const LOG_LEVELS: readonly string[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const LOG_FORMATS: readonly string[] = ['json', 'pretty'];
const DEFAULT_LOG_LEVEL = 'info';

type LogFormat = 'json' | 'pretty';

export interface LogSettings {
  level: string;
  format: LogFormat;
}

/** `--log-level` / `--log-format` flags, else NODE_LOG_LEVEL (or LOG_LEVEL) / NODE_LOG_FORMAT, else defaults. */
export function logSettings(flags: Record<string, string | undefined>): LogSettings {
  const level =
    setting(flags['logLevel'], 'NODE_LOG_LEVEL') ??
    setting(undefined, 'LOG_LEVEL') ??
    DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      `the log level (--log-level / NODE_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`,
    );
  }
  const format =
    setting(flags['logFormat'], 'NODE_LOG_FORMAT') ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (!LOG_FORMATS.includes(format)) {
    throw new ConfigError(
      `the log format (--log-format / NODE_LOG_FORMAT) must be json or pretty, got "${format}"`,
    );
  }
  return { level, format: format as LogFormat };
}

/** Help text for the two flags, shared by every command that logs. */
export const LOG_LEVEL_HELP = `log level on stderr: ${LOG_LEVELS.join(', ')} (env NODE_LOG_LEVEL or LOG_LEVEL; default ${DEFAULT_LOG_LEVEL})`;
export const LOG_FORMAT_HELP =
  'json (one object per line) or pretty (for people) (env NODE_LOG_FORMAT; default pretty on a terminal, else json)';

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
      pretty({
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
