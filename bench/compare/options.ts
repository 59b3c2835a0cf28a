// The harness's flags, checked: every mistake gets a message that says what
// was wrong and what is allowed.

import { SYSTEM_NAMES, type SystemName } from './systems/system.js';
import { WORKLOADS, type Workload } from './workload.js';

export interface CompareOptions {
  systems: SystemName[];
  workloads: Workload[];
  clients: number[];
  durationSec: number;
  warmupSec: number;
  keys: number;
  valueSize: number;
  /** Times the whole run is repeated, systems alternating; each figure is the median round's. */
  rounds: number;
  /** The JSON file to write; the SVG goes next to it. */
  out: string;
}

export class UsageError extends Error {}

export const DEFAULTS = {
  systems: SYSTEM_NAMES.join(','),
  workloads: WORKLOADS.join(','),
  clients: '1,16,64',
  duration: '5',
  warmup: '2',
  keys: '100000',
  valueSize: '100',
  rounds: '1',
};

/** Most rounds in one run: each repeats every system, workload and client count. */
export const MAX_ROUNDS = 25;

/** Most clients in one run: each is a socket and a loop in the one load generator. */
export const MAX_CLIENTS = 1024;
export const MAX_KEYS = 10_000_000;

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = list(text);
  if (items.length === 0)
    throw new UsageError(`${flag} needs at least one of ${allowed.join(', ')}`);
  for (const i of items) {
    if (!(allowed as readonly string[]).includes(i)) {
      throw new UsageError(`${flag}: unknown "${i}"; choose from ${allowed.join(', ')}`);
    }
  }
  return [...new Set(items)] as T[];
}

function number(text: string, flag: string, min: number, max: number, integer: boolean): number {
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (integer && !Number.isInteger(n))
  ) {
    throw new UsageError(
      `${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${text}"`,
    );
  }
  return n;
}

export function parseOptions(
  flags: Partial<Record<keyof typeof DEFAULTS | 'out', string>>,
  defaultOut: string,
): CompareOptions {
  const f = { ...DEFAULTS, ...flags };
  const clients = list(f.clients).map((c) => number(c, '--clients', 1, MAX_CLIENTS, true));
  if (clients.length === 0) throw new UsageError('--clients needs at least one client count');
  return {
    systems: oneOf(f.systems, SYSTEM_NAMES, '--systems'),
    workloads: oneOf(f.workloads, WORKLOADS, '--workloads'),
    clients: [...new Set(clients)],
    durationSec: number(f.duration, '--duration', 0.1, 3600, false),
    warmupSec: number(f.warmup, '--warmup', 0, 3600, false),
    keys: number(f.keys, '--keys', 1, MAX_KEYS, true),
    valueSize: number(f.valueSize, '--value-size', 1, 1024 * 1024, true),
    rounds: number(f.rounds, '--rounds', 1, MAX_ROUNDS, true),
    out: flags.out ?? defaultOut,
  };
}
