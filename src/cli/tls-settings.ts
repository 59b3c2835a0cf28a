// The TLS settings from the flags of tls-options.ts and their environment.
// The files are read and checked by src/tls/tls-material.ts; this file only
// maps flags and environment to it.

import type { ConnectOptions } from '../client/index.js';
import type { ClientTlsOptions } from '../tls/client-tls.js';
import {
  checkNodeIdentity,
  loadTlsMaterial,
  readPem,
  TlsConfigError,
  type TlsMaterial,
} from '../tls/tls-material.js';
import { ConfigError, flagOn, setting } from './config.js';

type Flags = Record<string, string | boolean | undefined>;

function text(flag: string | boolean | undefined, envName: string): string | undefined {
  return setting(typeof flag === 'string' ? flag : undefined, envName);
}

export interface NodeTls {
  /** For the client port. */
  client: ClientTlsOptions;
  /** For the peer port (mutual TLS); the same files. */
  material: TlsMaterial;
}

/**
 * The node's TLS settings, or null when no TLS file is given. A cluster
 * node (`nodeId` set) must have the CA and a certificate naming its id.
 */
export function nodeTlsSettings(flags: Flags, nodeId?: string): NodeTls | null {
  const clientAuth = flagOn(flags['tlsClientAuth'], 'NODE_TLS_CLIENT_AUTH', '--tls-client-auth');
  // Client certificates mean nothing if plain TCP is let in beside them.
  const required =
    flagOn(flags['tlsRequired'], 'NODE_TLS_REQUIRED', '--tls-required') || clientAuth;
  let material: TlsMaterial | null;
  try {
    material = loadTlsMaterial(
      {
        cert: text(flags['tlsCert'], 'NODE_TLS_CERT'),
        key: text(flags['tlsKey'], 'NODE_TLS_KEY'),
        ca: text(flags['tlsCa'], 'NODE_TLS_CA'),
      },
      { needCa: nodeId !== undefined || clientAuth },
    );
    if (material !== null && nodeId !== undefined) checkNodeIdentity(material, nodeId);
  } catch (e) {
    if (e instanceof TlsConfigError) throw new ConfigError(e.message);
    throw e;
  }
  if (material === null) {
    if (required || clientAuth) {
      throw new ConfigError(
        `${clientAuth ? '--tls-client-auth' : '--tls-required'} needs TLS set up: give --tls-cert, --tls-key and --tls-ca`,
      );
    }
    return null;
  }
  return { client: { material, required, clientAuth }, material };
}

/** ConnectOptions.tls from the client flags, or undefined for plain TCP. */
export function clientTlsSettings(flags: Flags): ConnectOptions['tls'] {
  const caPath = text(flags['tlsCa'], 'DISTDB_TLS_CA');
  const certPath = text(flags['tlsCert'], 'DISTDB_TLS_CERT');
  const keyPath = text(flags['tlsKey'], 'DISTDB_TLS_KEY');
  const on =
    flagOn(flags['tls'], 'DISTDB_TLS', '--tls') || caPath !== undefined || certPath !== undefined;
  if (!on) return undefined;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new ConfigError(
      certPath === undefined
        ? '--tls-key (DISTDB_TLS_KEY) needs the certificate it belongs to: give --tls-cert'
        : '--tls-cert (DISTDB_TLS_CERT) needs its private key: give --tls-key',
    );
  }
  const servername =
    typeof flags['tlsServername'] === 'string' ? flags['tlsServername'] : undefined;
  return {
    ca:
      caPath === undefined ? undefined : read(caPath, '--tls-ca (DISTDB_TLS_CA)', 'CA certificate'),
    caPath,
    cert:
      certPath === undefined
        ? undefined
        : read(certPath, '--tls-cert (DISTDB_TLS_CERT)', 'certificate'),
    key:
      keyPath === undefined
        ? undefined
        : read(keyPath, '--tls-key (DISTDB_TLS_KEY)', 'private key'),
    servername,
  };
}

function read(path: string, flag: string, what: string): Buffer {
  try {
    return readPem(path, flag, what);
  } catch (e) {
    if (e instanceof TlsConfigError) throw new ConfigError(e.message);
    throw e;
  }
}
