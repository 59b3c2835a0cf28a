// Commands whose result does not depend on the state they are applied to: a
// plain put (no NX/XX condition, no GET of the old value), an MSET, a noop.
// Once such a command is committed its result is decided, so the leader may
// answer it before its own state machine has applied it (see
// src/coordinator/replication/raft-driver.ts). Whether the proposal's SESSION
// lets it be applied afresh is a separate question: see session-forecast.ts.

import type { KvCommand, KvResult } from './types.js';

/**
 * The result applyProposal gives `command` when it is applied (not a session
 * retry, not session-expired), whatever the store holds; null when that
 * result depends on the store (a condition, the old value, a count of
 * deleted keys, a compare, a sum, a length).
 */
export function resultWithoutState(command: KvCommand): KvResult | null {
  switch (command.op) {
    case 'put':
      if (command.cond !== undefined || command.returnOld === true) return null;
      return { op: 'put', written: true, old: null };
    case 'mset':
      return { op: 'mset' };
    case 'noop':
      return { op: 'noop' };
    case 'del':
    case 'cas':
    case 'incr':
    case 'append':
    case 'getdel':
      return null;
  }
}

/**
 * Whether the result of `command` may carry a value read from the store
 * (`SET … GET`, GETSET and GETDEL: the old value; a compare-and-set: the
 * current one), whose size the command does not bound.
 */
export function resultCarriesValue(command: KvCommand): boolean {
  switch (command.op) {
    case 'put':
      return command.returnOld === true;
    case 'getdel':
    case 'cas':
      return true;
    default:
      return false;
  }
}
