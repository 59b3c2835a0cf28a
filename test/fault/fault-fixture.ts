// The frame of every cluster fault test: the machine's fault-test lock, a
// fresh 3-node cluster (and clean firewall rules if the test partitions), node
// logs saved next to the failure when it fails, and everything stopped and
// removed in every outcome.

import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { TestCluster } from './cluster-harness.js';
import { clearRules, iptablesProblem, resetFirewall } from './iptables.js';
import { lockNetwork } from './machine-lock.js';

/** Where failing fault tests leave histories and node logs. */
export const FAULT_OUT_DIR = join(tmpdir(), 'distdb-fault');

export function outPath(name: string, ext: string): string {
  mkdirSync(FAULT_OUT_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(FAULT_OUT_DIR, `${name}-${stamp}.${ext}`);
}

export async function withCluster(
  t: TestContext,
  name: string,
  options: { partitions?: boolean; size?: number; extraArgs?: string[] },
  body: (cluster: TestCluster) => Promise<void>,
): Promise<void> {
  if (options.partitions) {
    const problem = iptablesProblem();
    if (problem) {
      t.skip(`needs iptables: ${problem}`);
      return;
    }
  }
  // Also without partitions of its own: another run's rules would cut these addresses.
  const unlock = await lockNetwork(undefined, (line) => t.diagnostic(line));
  let cluster: TestCluster | null = null;
  try {
    if (options.partitions) resetFirewall();
    cluster = await TestCluster.start({
      name,
      size: options.size ?? 3,
      extraArgs: options.extraArgs ?? [],
    });
    await body(cluster);
  } catch (e) {
    if (cluster && e instanceof Error) {
      e.message += `\nnode logs: ${cluster.saveLogs(outPath(name, 'log'))}`;
    }
    throw e;
  } finally {
    if (options.partitions) clearRules();
    await cluster?.stop();
    unlock();
  }
}
