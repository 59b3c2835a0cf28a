// AUTH and HELLO … AUTH: checks credentials and gives the connection its access.

import { CommandError } from '../command-error.js';
import { grant, type ClientAccess } from './access.js';
import type { CommandContext } from '../command-context.js';

/** Redis's wording, so clients that recognise it keep working. */
export const WRONGPASS_REPLY = 'WRONGPASS invalid username-password pair or user is disabled.';

/** The access `user` gets with `password`; throws WRONGPASS when they do not match. */
export async function login(
  { node, client }: CommandContext,
  user: Buffer,
  password: Buffer,
): Promise<ClientAccess> {
  const name = user.toString('utf8');
  const principal = await node.auth.verifyAsync(name, password.toString('utf8'));
  if (principal === null) {
    node.stats.authFailures++; // INFO stats: acl_access_denied_auth, as Redis counts them
    node.failedAuthLog.record(client.addr, name, 'client');
    throw new CommandError(WRONGPASS_REPLY);
  }
  return grant(principal);
}
