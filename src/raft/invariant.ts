import { RaftInvariantError } from './types.js';

/** Throws at once when a safety invariant does not hold, with the state that broke it. */
export function invariant(
  condition: boolean,
  message: string,
  state: () => unknown,
): asserts condition {
  if (!condition) throw new RaftInvariantError(message, state());
}
