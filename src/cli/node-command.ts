// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function nodeCommand(): Command {
  return new Command('node').description('(not built yet)');
}
