// `distdb restore <file> --data-dir <dir> --id <id> [--peers ...]`: seeds one
// node of a NEW cluster from a backup. Run it once per node (same file, same
// --peers), then start the nodes as usual with `distdb node`. It refuses a
// data dir that is not empty, checks the whole file (checksum, a complete
// image at the header's index) before writing anything, then, through a
// storage engine of its own on that dir, installs the image as the Raft
// snapshot at the backup's index with the new cluster's membership — so the
// nodes start as if they had just installed a snapshot from a leader. Its
// flags and help here, its code in restore-run.ts, loaded only when it runs
// (see program.ts).

import { Command } from 'commander';

export interface RestoreFlags {
  dataDir?: string;
  id?: string;
  peers?: string;
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description(
      "seed one node of a new cluster from a backup: run once per node into its empty data dir, then start the nodes with 'distdb node'",
    )
    .argument('<file>', 'a file written by distdb backup')
    .requiredOption('--data-dir <dir>', "the new node's data directory (must be empty or absent)")
    .option('--id <id>', "the new node's id (env NODE_ID; default n1)")
    .option(
      '--peers <list>',
      "the new cluster's voters as id=host:peerport,... including this node (env NODE_PEERS; default: this node alone)",
    )
    .action(async (file: string, flags: RestoreFlags) => {
      const { runRestore } = await import('./restore-run.js');
      await runRestore(file, flags);
    });
}
