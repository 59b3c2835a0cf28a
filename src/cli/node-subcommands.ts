// The subcommands that run one of a node's long-lived processes (`distdb
// node`, `distdb coordinator`, `distdb storage`); tools and `distdb start`,
// which supervises them, are not among them.

const NODE_PROCESSES = new Set(['node', 'coordinator', 'storage']);

export function runsNodeProcess(subcommand: string | undefined): boolean {
  return subcommand !== undefined && NODE_PROCESSES.has(subcommand);
}
