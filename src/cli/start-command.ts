// `distdb start` (what `npm start` runs): a local cluster on this machine
// (three nodes by default) with data under ./data/n1.., and how to connect to
// it. Each node runs as a `distdb node` child with its log in its data
// directory; client ports are consecutive from --port, peer ports 100 above
// them, HTTP ports (dashboard) 1000 above them. Ctrl-C stops them all;
// starting again keeps the data. Its flags and help here, its code in
// start-run.ts, loaded only when it runs (see program.ts).

import { Command } from 'commander';
import { addAuthOptions } from './auth-options.js';

export interface StartFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  restore?: string;
  nodes?: string;
  requirepass?: string;
  usersFile?: string;
  protectedMode?: string;
  tlsCertDir?: string;
  tlsRequired?: boolean;
  tlsClientAuth?: boolean;
}

/** Most nodes `distdb start` runs. */
export const MAX_LOCAL_NODES = 7;

export function startCommand(): Command {
  const cmd = new Command('start')
    .description('run distdb locally with data under ./data, and print how to connect (npm start)')
    .option(
      '-p, --port <port>',
      'client port of the first node; the others follow; peer ports are 100 above, HTTP (dashboard) ports 1000 above (default 7379)',
    )
    .option('--nodes <n>', `how many nodes, 1 to ${MAX_LOCAL_NODES} (default 3)`)
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'where the data lives (default ./data)')
    .option(
      '--restore <file>',
      'first seed every node from a distdb backup (their data dirs must be empty or absent)',
    );
  // Who may connect comes after where the cluster runs, as in distdb node's help.
  return addStartTlsOptions(addAuthOptions(cmd)).action(async (flags: StartFlags) => {
    const { runStart } = await import('./start-run.js');
    await runStart(flags);
  });
}

/** TLS for every node from one directory (read by start-tls.ts). */
function addStartTlsOptions(cmd: Command): Command {
  return cmd
    .option(
      '--tls-cert-dir <dir>',
      'TLS for every port of every node: a directory with ca.crt and, per node, n1.crt and n1.key, ... (env NODE_TLS_CERT_DIR; see README "TLS")',
    )
    .option(
      '--tls-required',
      'with --tls-cert-dir: refuse plain-TCP clients (env NODE_TLS_REQUIRED=1)',
    )
    .option(
      '--tls-client-auth',
      'with --tls-cert-dir: clients must present a certificate signed by ca.crt (env NODE_TLS_CLIENT_AUTH=1)',
    );
}
