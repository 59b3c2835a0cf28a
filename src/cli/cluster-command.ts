// `distdb cluster status|add|remove|transfer-leader`: membership from the
// command line, through any node's client port (CLUSTER ... commands); the
// subcommands' flags and help here, the code that sends them in
// cluster-run.ts, loaded only when one runs (see program.ts).

import { Command } from 'commander';
import type { ClusterStatus } from '../coordinator/replication/replication.js';
import { addNodeTargetOptions, type NodeTargetFlags } from './node-target.js';

type ClusterFlags = NodeTargetFlags;

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
        const { run, formatStatus } = await import('./cluster-run.js');
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
        const { run } = await import('./cluster-run.js');
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
        const { run } = await import('./cluster-run.js');
        await run(flags, ['CLUSTER', 'REMOVE', id]);
        process.stdout.write(`removed ${id}\n`);
      }),
  );
  cmd.addCommand(
    withTarget(new Command('transfer-leader').description('hand leadership to a voter'))
      .argument('<id>')
      .action(async (id: string, flags: ClusterFlags) => {
        const { run } = await import('./cluster-run.js');
        await run(flags, ['CLUSTER', 'TRANSFER-LEADER', id]);
        process.stdout.write(`${id} is the leader\n`);
      }),
  );
  return cmd;
}
