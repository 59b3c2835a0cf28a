// AUTH and HELLO … AUTH: checks credentials and gives the connection its access.

import { CommandError } from '../command-error.js';
import { grant, type ClientAccess } from './access.js';
import type { Authenticator } from './authenticator.js';

/** Redis's wording, so clients that recognise it keep working. */
export const WRONGPASS_REPLY = 'WRONGPASS invalid username-password pair or user is disabled.';

/** The access `user` gets with `password`; throws WRONGPASS when they do not match. */
export async function login(
  auth: Authenticator,
  user: Buffer,
  password: Buffer,
): Promise<ClientAccess> {
  const principal = await auth.verifyAsync(user.toString('utf8'), password.toString('utf8'));
  if (principal === null) throw new CommandError(WRONGPASS_REPLY);
  return grant(principal);
}
