// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function benchCommand(): Command {
  return new Command('bench').description('(not built yet)');
}
