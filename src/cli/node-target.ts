// The node that distdb client, cluster and backup talk to: --host/--port,
// else HOST_IP_ADDR/HOST_PORT (environment or .env; the original client's
// names), else 127.0.0.1:7379; with the credential and TLS options that go
// with a connection to it.

import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../client/defaults.js';
import { parsePort, setting } from './config.js';
import { addCredentialOptions } from './credentials.js';
import { addClientTlsOptions } from './tls-options.js';

export interface NodeTargetFlags {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  [tlsFlag: string]: string | boolean | undefined;
}

/** Adds --host, --port, the credential options and the client TLS options. */
export function addNodeTargetOptions(cmd: Command): Command {
  return addClientTlsOptions(
    addCredentialOptions(
      cmd
        .option('--host <host>', `a node's address (env HOST_IP_ADDR; default ${DEFAULT_HOST})`)
        .option('-p, --port <port>', `its client port (env HOST_PORT; default ${DEFAULT_PORT})`),
    ),
  );
}

export function nodeTarget(flags: NodeTargetFlags): { host: string; port: number } {
  const host = setting(flags.host, 'HOST_IP_ADDR') ?? DEFAULT_HOST;
  const portText = setting(flags.port, 'HOST_PORT');
  const port =
    portText === undefined ? DEFAULT_PORT : parsePort(portText, 'the port (--port / HOST_PORT)');
  return { host, port };
}
