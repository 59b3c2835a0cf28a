// The log flags every process takes (--log-level, --log-format) and their
// settings, apart from logger.ts so that a command's definition (its --help)
// names them without loading pino.

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
