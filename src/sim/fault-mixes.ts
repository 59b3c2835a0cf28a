// Fault mixes: which faults a run injects and how hard. Each seed runs one
// mix (chosen by --mix, or derived from the seed), so a soak covers them all.

import type { LinkProfile } from './network.js';

export type FaultAction =
  | 'partition'
  | 'heal'
  | 'crash'
  | 'pause'
  | 'slow-disk'
  | 'links'
  | 'add-learner'
  | 'promote'
  | 'remove'
  | 'transfer';

export interface FaultMix {
  name: string;
  description: string;
  /** Link behaviours the run switches between ('links' action); the first is the start. */
  links: LinkProfile[];
  /** Simulated fsync latency range, virtual ms. */
  diskDelay: [number, number];
  /** Relative weight of each fault; absent: never. */
  actions: Partial<Record<FaultAction, number>>;
  /** Virtual ms between two faults. */
  interval: [number, number];
}

const quiet: LinkProfile = { minDelay: 1, jitter: 4, loss: 0, duplicate: 0 };
const lossy: LinkProfile = { minDelay: 1, jitter: 10, loss: 0.15, duplicate: 0.05 };
const reordering: LinkProfile = {
  minDelay: 1,
  jitter: 60,
  loss: 0.02,
  duplicate: 0.15,
  straggle: 0.01,
};
const awful: LinkProfile = { minDelay: 5, jitter: 40, loss: 0.35, duplicate: 0.2, straggle: 0.02 };

export const FAULT_MIXES: readonly FaultMix[] = [
  {
    name: 'calm',
    description: 'no faults: a baseline that must always make progress',
    links: [quiet],
    diskDelay: [0, 2],
    actions: {},
    interval: [1000, 1000],
  },
  {
    name: 'network',
    description: 'delay, loss, duplication, reordering and stragglers, changing over time',
    links: [lossy, quiet, reordering, awful],
    diskDelay: [0, 3],
    actions: { links: 1 },
    interval: [100, 600],
  },
  {
    name: 'partitions',
    description: 'symmetric, one-way, minority, majorities-ring and bridge partitions, then heal',
    links: [quiet, lossy],
    diskDelay: [0, 3],
    actions: { partition: 3, heal: 2, links: 0.5 },
    interval: [80, 500],
  },
  {
    name: 'crashes',
    description: 'crash and restart (losing unsynced writes), stalls, slow and failing disks',
    links: [quiet, reordering],
    diskDelay: [0, 40],
    actions: { crash: 3, pause: 1.5, 'slow-disk': 1, links: 0.5 },
    interval: [80, 500],
  },
  {
    name: 'membership',
    description: 'add learner, promote, remove, leadership transfer, with some crashes',
    links: [quiet, lossy],
    diskDelay: [0, 10],
    actions: { 'add-learner': 2, promote: 2, remove: 1.5, transfer: 2, crash: 0.7, heal: 0.5 },
    interval: [60, 400],
  },
  {
    name: 'chaos',
    description: 'everything at once',
    links: [quiet, lossy, reordering, awful],
    diskDelay: [0, 30],
    actions: {
      partition: 2,
      heal: 1.5,
      crash: 1.5,
      pause: 1,
      'slow-disk': 0.5,
      links: 1,
      'add-learner': 1,
      promote: 1,
      remove: 0.7,
      transfer: 1,
    },
    interval: [60, 400],
  },
];

export function findMix(name: string): FaultMix {
  const mix = FAULT_MIXES.find((m) => m.name === name);
  if (!mix) {
    throw new Error(
      `unknown fault mix ${JSON.stringify(name)}; choose one of: ${FAULT_MIXES.map((m) => m.name).join(', ')}`,
    );
  }
  return mix;
}

/** The mix a seed runs when none is asked for: every mix gets an equal share of seeds. */
export function mixForSeed(seed: number): FaultMix {
  return FAULT_MIXES[seed % FAULT_MIXES.length] as FaultMix;
}
