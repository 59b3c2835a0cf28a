import type { ProgressTracker } from './tracker.js';
import type { ConfChange } from './types.js';

/**
 * Refuses, with the reason, a membership change that makes no sense for the
 * current membership (the caller asked for something impossible).
 */
export function validateConfChange(t: ProgressTracker, cc: ConfChange): void {
  const bad = (why: string): never => {
    throw new Error(`conf change ${cc.type} ${JSON.stringify(cc.node)} refused: ${why}`);
  };
  if (typeof cc.node !== 'string' || cc.node.length === 0) bad('node id must be non-empty');
  switch (cc.type) {
    case 'add-learner':
      if (t.learners.has(cc.node)) bad('it is already a learner');
      if (t.isVoter(cc.node) && t.voters.size === 1) bad('it is the only voter');
      break;
    case 'add-voter':
      if (t.isVoter(cc.node)) bad('it is already a voter');
      break;
    case 'remove':
      if (!t.isMember(cc.node)) bad('it is not a member');
      if (t.isVoter(cc.node) && t.voters.size === 1) bad('it is the only voter');
      break;
    default:
      bad('unknown change type');
  }
}
