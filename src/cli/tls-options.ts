// TLS flags: the node's (`distdb node` / `distdb coordinator`: certificate,
// key, CA, required, client certificates) and the client's (`distdb client`,
// `cluster`, `backup`, the benchmark: --tls, CA, optional client certificate).
// tls-settings.ts maps them and their environment to settings.

import type { Command } from 'commander';

export function addNodeTlsOptions(cmd: Command): Command {
  return cmd
    .option(
      '--tls-cert <file>',
      "this node's certificate, PEM (env NODE_TLS_CERT); turns on TLS for clients and, on a cluster node, mutual TLS between nodes",
    )
    .option('--tls-key <file>', "the certificate's private key, PEM (env NODE_TLS_KEY)")
    .option(
      '--tls-ca <file>',
      'CA certificate that signed every node certificate (and client certificates), PEM (env NODE_TLS_CA)',
    )
    .option(
      '--tls-required',
      'refuse plain-TCP clients (env NODE_TLS_REQUIRED=1); without it the client port takes both',
    )
    .option(
      '--tls-client-auth',
      'clients must present a certificate signed by --tls-ca; implies --tls-required (env NODE_TLS_CLIENT_AUTH=1)',
    );
}

export function addClientTlsOptions(cmd: Command): Command {
  return cmd
    .option('--tls', 'connect with TLS (env DISTDB_TLS=1; implied by --tls-ca)')
    .option(
      '--tls-ca <file>',
      "CA certificate to verify the node's certificate with, PEM (env DISTDB_TLS_CA; default: the system's CAs)",
    )
    .option(
      '--tls-cert <file>',
      'client certificate, PEM, for nodes started with --tls-client-auth (env DISTDB_TLS_CERT)',
    )
    .option('--tls-key <file>', "the client certificate's private key (env DISTDB_TLS_KEY)")
    .option('--tls-servername <name>', "name the node's certificate must carry (default: --host)");
}
