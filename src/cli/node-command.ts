// `distdb node`: both processes of one node; its flags and help here, its
// code in node-run.ts, loaded only when it runs (see program.ts).

import { Command } from 'commander';
import { addCoordinatorOptions } from './coordinator-command.js';
import { addClusterOptions } from './cluster-options.js';

export function nodeCommand(): Command {
  return addClusterOptions(
    addCoordinatorOptions(
      new Command('node').description(
        'run one node of a cluster: the coordinator (Raft, clients), which starts and supervises its storage engine',
      ),
    ),
  )
    .addHelpText(
      'after',
      '\nSizes accept 512, 64kb, 1mb, 2gb. Prints "distdb node ready host=<h> port=<p>" (and " http=<port>" with --http-port) when serving.\n' +
        'The storage engine runs as a child process; if it dies it is restarted, and it stops with the node.',
    )
    .action(async (flags: Record<string, string | undefined>) => {
      const { runNode } = await import('./node-run.js');
      await runNode(flags);
    });
}
