// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function clientCommand(): Command {
  return new Command('client').description('(not built yet)');
}
