// `distdb hash-password`: reads a password from standard input (typed without
// echo at a terminal, or piped) and prints its scrypt hash for a users file,
// so no plain-text password is ever written into configuration. Its flags
// and help here, its code in hash-password-run.ts, loaded only when it runs
// (see program.ts).

import { Command } from 'commander';

export interface HashPasswordFlags {
  user?: string;
  permission?: string;
  keyPrefix?: string;
}

export function hashPasswordCommand(): Command {
  return new Command('hash-password')
    .description('read a password from stdin and print its hash for a users file (--users-file)')
    .option(
      '--user <name>',
      'print a whole users-file entry for this user instead of the hash alone',
    )
    .option('--permission <read|readwrite>', 'with --user: the permission (default readwrite)')
    .option('--key-prefix <prefix>', 'with --user: confine the user to keys starting with this')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  distdb hash-password                       (type the password twice; nothing is echoed)\n' +
        '  printf \'%s\' "$PW" | distdb hash-password --user app --key-prefix app:',
    )
    .action(async (flags: HashPasswordFlags) => {
      const { runHashPassword } = await import('./hash-password-run.js');
      await runHashPassword(flags);
    });
}
