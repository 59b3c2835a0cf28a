// `distdb backup <file>`: a consistent copy of a running cluster's whole key
// space, read from any node with BACKUP BEGIN/CHUNK/END (see
// src/coordinator/commands/backup-commands.ts) into the backup file format
// (backup-file.ts). It writes <file>.partial and renames it when complete,
// so <file> is never a half-written backup. Progress goes to stderr when it
// is a terminal. Its flags and help here, its code in backup-run.ts, loaded
// only when it runs (see program.ts).

import { Command } from 'commander';
import { addNodeTargetOptions, type NodeTargetFlags } from './node-target.js';

export function backupCommand(): Command {
  return addNodeTargetOptions(new Command('backup'))
    .description(
      'save a consistent snapshot of the whole key space of a running cluster to <file> (any node serves it)',
    )
    .argument('<file>', 'where to write the backup (written as <file>.partial, then renamed)')
    .action(async (file: string, flags: NodeTargetFlags) => {
      const { runBackup } = await import('./backup-run.js');
      await runBackup(file, flags);
    });
}
