// Loading a node's TLS files (certificate, private key, CA) and checking
// them at startup, so that a wrong path, a key of another certificate, an
// expired certificate or one the cluster CA did not sign is reported before
// any connection fails. Every message names the flag to fix.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { certNames } from './cert-identity.js';

/** A setting a person must fix; the message names the flag. */
export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

/** How the flags are called where the paths came from, for error messages. */
export interface TlsFlagNames {
  cert: string;
  key: string;
  ca: string;
}

export const NODE_TLS_FLAGS: TlsFlagNames = {
  cert: '--tls-cert (NODE_TLS_CERT)',
  key: '--tls-key (NODE_TLS_KEY)',
  ca: '--tls-ca (NODE_TLS_CA)',
};

/** A node's certificate, its key and the CA its peers' (and clients') certificates must be signed by. */
export interface TlsMaterial {
  /** PEM: this node's certificate (and any intermediates after it). */
  cert: Buffer;
  /** PEM private key of `cert`. */
  key: Buffer;
  /** PEM: the CA certificate(s) trusted for peers and client certificates; null when none was given. */
  ca: Buffer | null;
  /** The names the certificate carries (subject CN, then DNS/IP subjectAltNames). */
  names: string[];
  /** Paths, for messages. */
  paths: { cert: string; key: string; ca: string | null };
}

export interface TlsPaths {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the files; null when no TLS file was given at all.
 * `needCa`: the CA is mandatory (a cluster node verifies its peers with it).
 */
export function loadTlsMaterial(
  paths: TlsPaths,
  opts: { needCa: boolean; flags?: TlsFlagNames; now?: Date } = { needCa: false },
): TlsMaterial | null {
  const flags = opts.flags ?? NODE_TLS_FLAGS;
  const { cert: certPath, key: keyPath, ca: caPath } = paths;
  if (certPath === undefined && keyPath === undefined && caPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined) {
    const missing = certPath === undefined ? flags.cert : flags.key;
    const given = [certPath !== undefined && flags.cert, keyPath !== undefined && flags.key]
      .concat(caPath !== undefined ? [flags.ca] : [])
      .filter(Boolean)
      .join(' and ');
    throw new TlsConfigError(
      `TLS needs this node's certificate and its private key: ${given} given but not ${missing}`,
    );
  }
  if (caPath === undefined && opts.needCa) {
    throw new TlsConfigError(
      `TLS between the nodes of a cluster needs the cluster CA's certificate: give ${flags.ca} ` +
        '(the certificate that signed every node certificate)',
    );
  }
  const certPem = readPem(certPath, flags.cert, 'certificate');
  const keyPem = readPem(keyPath, flags.key, 'private key');
  const caPem = caPath === undefined ? null : readPem(caPath, flags.ca, 'CA certificate');

  const chain = certificatesIn(certPem, certPath, flags.cert);
  const leaf = chain[0] as X509Certificate;
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new TlsConfigError(
      `${flags.key}: ${keyPath} is not a usable PEM private key (${(e as Error).message}); ` +
        'an encrypted key must be decrypted first (openssl pkey -in key.pem -out plain.pem)',
    );
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsConfigError(
      `${flags.key}: ${keyPath} is not the private key of the certificate ${certPath} (${flags.cert}); ` +
        'give the key that was made with that certificate',
    );
  }
  const now = opts.now ?? new Date();
  if (new Date(leaf.validTo) < now) {
    throw new TlsConfigError(
      `${flags.cert}: the certificate ${certPath} expired on ${leaf.validTo}; make a new one`,
    );
  }
  if (new Date(leaf.validFrom) > now) {
    throw new TlsConfigError(
      `${flags.cert}: the certificate ${certPath} is not valid before ${leaf.validFrom}; ` +
        "check this machine's clock or make a new certificate",
    );
  }
  if (caPem !== null && caPath !== undefined) {
    const cas = certificatesIn(caPem, caPath, flags.ca);
    const issuers = [...cas, ...chain.slice(1)];
    if (!issuers.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) {
      throw new TlsConfigError(
        `${flags.cert}: the certificate ${certPath} is not signed by the CA in ${caPath} (${flags.ca}); ` +
          'the other nodes would refuse it. Sign it with that CA, or give the CA that signed it',
      );
    }
  }
  try {
    createSecureContext({ cert: certPem, key: keyPem, ca: caPem ?? undefined });
  } catch (e) {
    throw new TlsConfigError(
      `cannot use ${flags.cert}, ${flags.key}${caPem ? ` and ${flags.ca}` : ''}: ${(e as Error).message}`,
    );
  }
  return {
    cert: certPem,
    key: keyPem,
    ca: caPem,
    names: certNames(leaf),
    paths: { cert: certPath, key: keyPath, ca: caPath ?? null },
  };
}

/** `material` as Node's TLS options take it: certificate, key, and the CA if one was given. */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ca: material.ca ?? undefined };
}

/** Reads a PEM file named by `flag`; throws a TlsConfigError that says why it cannot. */
export function readPem(path: string, flag: string, what: string): Buffer {
  if (path === '') throw new TlsConfigError(`${flag} is empty; give the path of the ${what} file`);
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'it is a directory'
            : err.message;
    throw new TlsConfigError(`${flag}: cannot read the ${what} file ${path}: ${why}`);
  }
}

/** Every certificate in a PEM file; throws naming the flag when there is none or one does not parse. */
function certificatesIn(pem: Buffer, path: string, flag: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new TlsConfigError(
      `${flag}: ${path} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
    );
  }
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new TlsConfigError(
        `${flag}: ${path} holds a certificate that does not parse: ${(e as Error).message}`,
      );
    }
  });
}

/** Throws unless the certificate names the node id (peers check the same, see cert-identity.ts). */
export function checkNodeIdentity(
  material: TlsMaterial,
  nodeId: string,
  flags = NODE_TLS_FLAGS,
): void {
  if (material.names.includes(nodeId)) return;
  throw new TlsConfigError(
    `${flags.cert}: the certificate ${material.paths.cert} names ${material.names.map((n) => JSON.stringify(n)).join(', ') || 'nothing'}, ` +
      `not this node's id ${JSON.stringify(nodeId)}; the other nodes would refuse it. ` +
      `Make the node's certificate with subject CN=${nodeId} (see README, "TLS")`,
  );
}
