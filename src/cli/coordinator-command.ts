// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function coordinatorCommand(): Command {
  return new Command('coordinator').description('(not built yet)');
}
