// The interactive shell behind `distdb client`: reads command lines, sends
// them, prints readable replies. On a terminal it has a prompt, persistent
// history and tab completion; fed through a pipe it runs the lines one after
// another and prints only the replies, so it can be scripted.

import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { splitInlineArgs } from '../resp/index.js';
import type { Client } from './client.js';
import { DistdbError } from './errors.js';
import { formatReply } from './format.js';
import { completeCommand, helpText } from './help.js';

/** AUTH … and HELLO … AUTH …: kept out of the history. */
const CARRIES_PASSWORD = /^\s*(auth\s|hello\s.*\bauth\s)/i;

/** Lines of history kept in the history file. */
const HISTORY_SIZE = 1000;

export interface ShellOptions {
  client: Client;
  input: Readable;
  output: Writable;
  /** A terminal: prompt, line editing, completion, history. */
  interactive: boolean;
  /** Where history persists (interactive only); null for none. */
  historyFile: string | null;
}

/** What one typed line asks for. */
export type ShellLine =
  | { kind: 'empty' }
  | { kind: 'quit' }
  | { kind: 'clear' }
  | { kind: 'help'; topic: string | undefined }
  | { kind: 'command'; args: Buffer[] }
  | { kind: 'invalid'; message: string };

/** Splits a line with redis-cli's quoting rules and recognises the shell's own commands. */
export function parseShellLine(line: string): ShellLine {
  let args: Buffer[];
  try {
    args = splitInlineArgs(Buffer.from(line, 'utf8'));
  } catch {
    return {
      kind: 'invalid',
      message:
        'unbalanced quotes: close the quote, or escape it (\\" inside "...", \\\' inside \'...\')',
    };
  }
  const first = args[0];
  if (first === undefined) return { kind: 'empty' };
  const word = first.toString('utf8').toLowerCase();
  if (word === 'quit' || word === 'exit') return { kind: 'quit' };
  if (word === 'clear' && args.length === 1) return { kind: 'clear' };
  if (word === 'help' || word === '?') return { kind: 'help', topic: args[1]?.toString('utf8') };
  return { kind: 'command', args };
}

/** Runs the shell until end of input or `quit`; resolves with the exit status. */
export async function runShell(opts: ShellOptions): Promise<number> {
  const { client, output, interactive } = opts;
  const history = interactive && opts.historyFile ? loadHistory(opts.historyFile) : [];
  const rl = createInterface({
    input: opts.input,
    output: interactive ? output : undefined,
    terminal: interactive,
    prompt: `${client.address}> `,
    history,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: interactive ? completeCommand : undefined,
  });
  const print = (text: string): void => {
    output.write(text.endsWith('\n') ? text : text + '\n');
  };
  if (interactive) {
    print(`Connected to distdb at ${client.address}. Type help for commands, Ctrl-D to leave.`);
    const historyFile = opts.historyFile;
    rl.on('history', (lines: string[]) => {
      // A line carrying a password is never kept (readline lets this listener edit its history).
      if (lines[0] !== undefined && CARRIES_PASSWORD.test(lines[0])) lines.shift();
      if (historyFile) saveHistory(historyFile, lines);
    });
    // Ctrl-C clears a half-typed line; on an empty line it leaves, as redis-cli does.
    rl.on('SIGINT', () => {
      if (rl.line.length > 0) {
        output.write('^C\n');
        rl.write(null, { ctrl: true, name: 'u' });
        rl.prompt();
      } else {
        output.write('\n');
        rl.close();
      }
    });
    rl.prompt();
  }
  try {
    for await (const line of rl) {
      const parsed = parseShellLine(line);
      if (parsed.kind === 'quit') break;
      await runLine(parsed, client, print, output);
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
  }
  return 0;
}

async function runLine(
  parsed: ShellLine,
  client: Client,
  print: (text: string) => void,
  output: Writable,
): Promise<void> {
  switch (parsed.kind) {
    case 'empty':
    case 'quit':
      return;
    case 'invalid':
      print(`(error) ${parsed.message}`);
      return;
    case 'clear':
      output.write('\x1b[H\x1b[2J');
      return;
    case 'help': {
      const text = helpText(parsed.topic);
      print(text ?? `no help for "${parsed.topic}"; type help for the list of commands`);
      return;
    }
    case 'command':
      try {
        print(formatReply(await client.raw(parsed.args)));
      } catch (err) {
        print(`(error) ${err instanceof DistdbError ? err.message : String(err)}`);
      }
  }
}

function loadHistory(path: string): string[] {
  try {
    // readline wants the newest line first.
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return []; // no history yet
  }
}

function saveHistory(path: string, newestFirst: string[]): void {
  try {
    writeFileSync(path, [...newestFirst].reverse().join('\n') + '\n', { mode: 0o600 });
  } catch {
    // History is a convenience; a read-only home must not break the shell.
  }
}
