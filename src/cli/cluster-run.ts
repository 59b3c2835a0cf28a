// `distdb cluster` run (its subcommands: cluster-command.ts): one CLUSTER
// command through a node's client port, and the status table.

import { AuthError, connect, ReplyError, type Client } from '../client/index.js';
import type { ClusterStatus } from '../coordinator/replication/replication.js';
import { credentials } from './credentials.js';
import { nodeTarget, type NodeTargetFlags } from './node-target.js';
import { clientTlsSettings } from './tls-settings.js';

/** Admin commands wait for the cluster (a transfer up to a few election timeouts). */
const ADMIN_TIMEOUT_MS = 30_000;

/** Sends `args` to the node the flags name; a refusal or an unreachable node ends the process with a sentence. */
export async function run(flags: NodeTargetFlags, args: string[]): Promise<unknown> {
  const { host, port } = nodeTarget(flags);
  // Settings are checked before connecting: a mistake in them is not "cannot reach a node".
  const tls = clientTlsSettings(flags);
  const login = credentials(flags);
  let client: Client;
  try {
    client = await connect({
      host,
      port,
      reconnect: false,
      timeoutMs: ADMIN_TIMEOUT_MS,
      ...login,
      tls,
    });
  } catch (err) {
    if (err instanceof AuthError) {
      fail(
        `${host}:${port} refused the credentials (--user/--password, DISTDB_USER/DISTDB_PASSWORD): ${err.message}`,
      );
    }
    fail(`cannot reach a node at ${host}:${port}: ${(err as Error).message}`);
  }
  try {
    return await client.command(...args);
  } catch (err) {
    fail(err instanceof ReplyError ? err.message : `${host}:${port}: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
}

function fail(message: string): never {
  process.stderr.write(`distdb cluster: ${message}\n`);
  process.exit(1);
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [
    `node ${s.id}: ${s.role}, term ${s.term}, leader ${s.leader ?? '(none known)'}, commit ${s.commit}, applied ${s.applied}${s.reads === 'lease' ? ', lease reads' : ''}`,
    '',
    `${'ID'.padEnd(8)}${'ROLE'.padEnd(9)}${'PEER'.padEnd(24)}${'CLIENT'.padEnd(24)}${'MATCH'.padEnd(10)}LAG`,
  ];
  for (const m of s.members) {
    const role = m.id === s.leader ? 'leader' : m.role;
    lines.push(
      `${m.id.padEnd(8)}${role.padEnd(9)}${(m.peer ?? '-').padEnd(24)}${(m.client ?? '-').padEnd(24)}${String(m.match ?? '-').padEnd(10)}${m.lag ?? '-'}${m.lazy === true ? ' (lazy)' : ''}`,
    );
  }
  if (s.role !== 'leader') lines.push('', '(match and lag are known on the leader only)');
  // Older nodes send no notice.
  if (s.notice) lines.push('', s.notice);
  return lines.join('\n') + '\n';
}
