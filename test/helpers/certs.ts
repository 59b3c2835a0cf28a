// Certificates for TLS tests, made with the openssl command line the way the
// README tells people to: a CA, and certificates it signs whose subject CN
// is the node id (with localhost and 127.0.0.1 as subjectAltNames so clients
// can verify the client port too).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestCa {
  readonly cert: string;
  private readonly key: string;

  /** Makes a CA called `name` in `dir` (ca files `<name>.crt` / `<name>.key`). */
  constructor(
    readonly dir: string,
    readonly name = 'ca',
  ) {
    this.cert = join(dir, `${name}.crt`);
    this.key = join(dir, `${name}.key`);
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      ...EC_KEY,
      '-keyout',
      this.key,
      '-out',
      this.cert,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
    ]);
  }

  /**
   * A certificate signed by this CA with subject CN=`cn` (a node id or a
   * client name), also valid for localhost and 127.0.0.1, for both server and
   * client use. Files: `<prefix><cn>.crt` / `.key`.
   */
  issue(cn: string, prefix = `${this.name}-`): CertFiles {
    const base = join(this.dir, `${prefix}${cn}`);
    const ext = `${base}.ext`;
    writeFileSync(
      ext,
      `subjectAltName=DNS:${cn},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    openssl(this.dir, [
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      this.cert,
      '-CAkey',
      this.key,
      '-CAcreateserial',
      '-out',
      `${base}.crt`,
      '-days',
      '30',
      '-extfile',
      ext,
    ]);
    return { cert: `${base}.crt`, key: `${base}.key` };
  }
}

/** `distdb node` flags for a node with `files`, trusting `ca`. */
export function nodeTlsFlags(files: CertFiles, ca: string, extra: string[] = []): string[] {
  return ['--tls-cert', files.cert, '--tls-key', files.key, '--tls-ca', ca, ...extra];
}
