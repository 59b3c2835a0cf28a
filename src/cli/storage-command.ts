// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function storageCommand(): Command {
  return new Command('storage').description('(not built yet)');
}
