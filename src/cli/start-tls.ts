// TLS for `distdb start`: one directory holding the cluster CA (ca.crt) and
// each node's certificate and key named by its id (n1.crt, n1.key, ...), as
// the README's openssl recipe makes them. Every node's files are checked
// before any node starts; each node then gets its own as `distdb node` flags,
// which also override NODE_TLS_* the nodes would otherwise all inherit.
// The flags: start-command.ts.

import { join, resolve } from 'node:path';
import { checkNodeIdentity, loadTlsMaterial, TlsConfigError } from '../tls/tls-material.js';
import { ConfigError, setting } from './config.js';

export interface StartTls {
  dir: string;
  /** Path of the CA certificate, for the banner's connect lines. */
  ca: string;
  /** Clients must present certificates (--tls-client-auth). */
  clientAuth: boolean;
  /** `distdb node` flags for node `id`. */
  nodeArgs(id: string): string[];
}

/** The TLS settings for nodes `ids`, or null without --tls-cert-dir; throws ConfigError naming the file to fix. */
export function startTlsSettings(
  flags: { tlsCertDir?: string; tlsRequired?: boolean; tlsClientAuth?: boolean },
  ids: string[],
): StartTls | null {
  const given = setting(flags.tlsCertDir, 'NODE_TLS_CERT_DIR');
  if (given === undefined) {
    if (flags.tlsRequired || flags.tlsClientAuth) {
      throw new ConfigError(
        `${flags.tlsClientAuth ? '--tls-client-auth' : '--tls-required'} needs --tls-cert-dir`,
      );
    }
    return null;
  }
  const dir = resolve(given);
  const ca = join(dir, 'ca.crt');
  const files = (id: string) => ({ cert: join(dir, `${id}.crt`), key: join(dir, `${id}.key`), ca });
  const where = `--tls-cert-dir ${given}`;
  for (const id of ids) {
    const names = {
      cert: `${where} (${id}.crt)`,
      key: `${where} (${id}.key)`,
      ca: `${where} (ca.crt)`,
    };
    try {
      const material = loadTlsMaterial(files(id), { needCa: true, flags: names });
      if (material !== null) checkNodeIdentity(material, id, names);
    } catch (e) {
      if (e instanceof TlsConfigError) throw new ConfigError(e.message);
      throw e;
    }
  }
  const extra = [
    ...(flags.tlsRequired ? ['--tls-required'] : []),
    ...(flags.tlsClientAuth ? ['--tls-client-auth'] : []),
  ];
  return {
    dir,
    ca,
    clientAuth: flags.tlsClientAuth === true,
    nodeArgs: (id) => {
      const f = files(id);
      return ['--tls-cert', f.cert, '--tls-key', f.key, '--tls-ca', f.ca, ...extra];
    },
  };
}
