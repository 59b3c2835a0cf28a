// The command line of the benchmark scripts. `--help` says what a script
// measures and lists its options with their defaults; a command line it
// cannot use (an unknown option, a value missing or wrong) is refused in
// one line that points at --help, with exit status 2, never a stack trace.
// Scripts built on node:util's parseArgs use scriptOptions; those built on
// commander use usageErrors.

import type { Command } from 'commander';
import { parseArgs } from 'node:util';

export interface ScriptOption {
  /** What the value is, shown after the flag in --help: `--seconds <n>`. */
  value: string;
  help: string;
  default?: string;
}

export interface ScriptName {
  /** What its messages start with, e.g. `engine-path`. */
  name: string;
  /** How it is run, e.g. `node dist/bench/engine-path.js`. */
  run: string;
}

export interface ScriptUsage extends ScriptName {
  /** What it measures and prints. */
  about: string;
}

type Values<O extends Record<string, ScriptOption>> = {
  [K in keyof O]: O[K] extends { default: string } ? string : string | undefined;
};

/** `<name>: <problem>; see <run> --help`: how a script refuses a command line. */
export function usageLine(script: ScriptName, problem: string): string {
  return `${script.name}: ${problem}; see ${script.run} --help`;
}

/** Prints usageLine on stderr and exits 2. */
export function refuse(script: ScriptName, problem: string): never {
  process.stderr.write(`${usageLine(script, problem)}\n`);
  process.exit(2);
}

/** The script's option values (from process.argv); prints --help, or refuses the command line, and exits. */
export function scriptOptions<const O extends Record<string, ScriptOption>>(
  usage: ScriptUsage,
  options: O,
  argv: string[] = process.argv.slice(2),
): Values<O> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help(usage, options));
    process.exit(0);
  }
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      o.default === undefined
        ? { type: 'string' as const }
        : { type: 'string' as const, default: o.default },
    ]),
  );
  try {
    return parseArgs({ args: argv, options: config, strict: true }).values as Values<O>;
  } catch (err) {
    // parseArgs's errors (ERR_PARSE_ARGS_*) name the option; their first sentence is enough.
    const first = ((err as Error).message.split('. ')[0] ?? '').replace(/\.$/, '');
    return refuse(usage, first.charAt(0).toLowerCase() + first.slice(1));
  }
}

function help(usage: ScriptUsage, options: Record<string, ScriptOption>): string {
  const rows: Array<[string, string]> = Object.entries(options).map(([name, o]) => [
    `--${name} ${o.value}`,
    o.default === undefined ? o.help : `${o.help} (default ${o.default})`,
  ]);
  rows.push(['-h, --help', 'print this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return (
    `Usage: ${usage.run} [options]\n\n${usage.about}\n\nOptions:\n` +
    rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}\n`).join('')
  );
}

/**
 * Makes a commander program refuse a command line it cannot use as the
 * parseArgs scripts do: one line naming the problem and --help, exit 2.
 */
export function usageErrors(program: Command, script: ScriptName): Command {
  return program.configureOutput({
    outputError: (text) => refuse(script, text.trim().replace(/^error: /, '')),
  });
}
