// Placeholder until its owner lands the real subcommand.
import { Command } from 'commander';

export function startCommand(): Command {
  return new Command('start').description('(not built yet)');
}
