// `distdb client`: the interactive shell, or one command run for a script
// (`distdb client GET key`); its flags and help here, its code in
// client-run.ts, loaded only when it runs (see program.ts).

import { Command } from 'commander';
import { addNodeTargetOptions, type NodeTargetFlags } from './node-target.js';

export interface ClientFlags extends NodeTargetFlags {
  timeout?: string;
  raw?: boolean;
  historyFile?: string;
}

export function clientCommand(): Command {
  return addNodeTargetOptions(new Command('client'))
    .description(
      'the distdb shell; with a command (distdb client GET key) runs it, prints the reply and exits',
    )
    .argument('[command...]', 'a command to run instead of the shell, e.g. GET key')
    .option('--timeout <ms>', 'how long to wait for a reply, in ms (default 5000)')
    .option('--raw', 'print values exactly as stored (no quoting, no JSON pretty-printing)')
    .option(
      '--history-file <path>',
      'shell history file (env DISTDB_HISTORY_FILE; default ~/.distdb_history; "" for none)',
    )
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nOptions go before the command: distdb client --port 7380 SET greeting "hello"\n' +
        'Exit status: 0 on success, 1 on an error reply or when the node cannot be reached.',
    )
    .action(async (words: string[], flags: ClientFlags) => {
      const { runClient } = await import('./client-run.js');
      process.exitCode = await runClient(words, flags);
    });
}
