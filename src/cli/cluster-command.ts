// `distdb cluster status|add|remove|transfer-leader`: membership from the
// command line, through any node's client port (CLUSTER ... commands).

import { Command } from 'commander';
import { AuthError, connect, ReplyError, type Client } from '../client/index.js';
import type { ClusterStatus } from '../coordinator/replication/replication.js';
import { credentials } from './credentials.js';
import { addNodeTargetOptions, nodeTarget, type NodeTargetFlags } from './node-target.js';
import { clientTlsSettings } from './tls-options.js';

type ClusterFlags = NodeTargetFlags;

/** Admin commands wait for the cluster (a transfer up to a few election timeouts). */
const ADMIN_TIMEOUT_MS = 30_000;

export function clusterCommand(): Command {
  const cmd = new Command('cluster').description(
    'show and change the cluster membership through any node (default 127.0.0.1:7379)',
  );
  const withTarget = addNodeTargetOptions;
  cmd.addCommand(
    withTarget(
      new Command('status').description('members, roles, term, commit/applied index, leader, lag'),
    )
      .option('--json', 'print the raw JSON')
      .action(async (flags: ClusterFlags & { json?: boolean }) => {
        const reply = await run(flags, ['CLUSTER', 'STATUS']);
        const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
        process.stdout.write(
          flags.json ? text + '\n' : formatStatus(JSON.parse(text) as ClusterStatus),
        );
      }),
  );
  cmd.addCommand(
    withTarget(
      new Command('add').description(
        'add a node: it joins as a learner and becomes a voter once caught up',
      ),
    )
      .argument('<id>', "the new node's id (its --id)")
      .argument('<peer-address>', 'its peer address, host:port (its --peer-host:--peer-port)')
      .action(async (id: string, peer: string, flags: ClusterFlags) => {
        await run(flags, ['CLUSTER', 'ADD', id, peer]);
        process.stdout.write(
          `added ${id} (${peer}) as a learner; it becomes a voter once caught up\n`,
        );
      }),
  );
  cmd.addCommand(
    withTarget(new Command('remove').description('remove a member'))
      .argument('<id>')
      .action(async (id: string, flags: ClusterFlags) => {
        await run(flags, ['CLUSTER', 'REMOVE', id]);
        process.stdout.write(`removed ${id}\n`);
      }),
  );
  cmd.addCommand(
    withTarget(new Command('transfer-leader').description('hand leadership to a voter'))
      .argument('<id>')
      .action(async (id: string, flags: ClusterFlags) => {
        await run(flags, ['CLUSTER', 'TRANSFER-LEADER', id]);
        process.stdout.write(`${id} is the leader\n`);
      }),
  );
  return cmd;
}

async function run(flags: ClusterFlags, args: string[]): Promise<unknown> {
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

function formatStatus(s: ClusterStatus): string {
  const lines = [
    `node ${s.id}: ${s.role}, term ${s.term}, leader ${s.leader ?? '(none known)'}, commit ${s.commit}, applied ${s.applied}`,
    '',
    `${'ID'.padEnd(8)}${'ROLE'.padEnd(9)}${'PEER'.padEnd(24)}${'CLIENT'.padEnd(24)}${'MATCH'.padEnd(10)}LAG`,
  ];
  for (const m of s.members) {
    const role = m.id === s.leader ? 'leader' : m.role;
    lines.push(
      `${m.id.padEnd(8)}${role.padEnd(9)}${(m.peer ?? '-').padEnd(24)}${(m.client ?? '-').padEnd(24)}${String(m.match ?? '-').padEnd(10)}${m.lag ?? '-'}`,
    );
  }
  if (s.role !== 'leader') lines.push('', '(match and lag are known on the leader only)');
  // Older nodes send no notice.
  if (s.notice) lines.push('', s.notice);
  return lines.join('\n') + '\n';
}
