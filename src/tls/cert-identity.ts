// Which node a certificate belongs to. A node's certificate names its node
// id as its subject common name (CN=n1) or as a DNS subjectAltName; a peer
// that says "I am n2" in its hello must present a certificate naming n2,
// and a dialled node must present one naming the id the dialler expected.
// Addresses are not checked: the node id is what the cluster trusts, so
// certificates survive address changes.

import type { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

/** The subject CN, then every DNS and IP subjectAltName, of a certificate. */
export function certNames(cert: X509Certificate | PeerCertificate): string[] {
  const names: string[] = [];
  let cn: string | undefined;
  let san: string | undefined;
  if ('subjectAltName' in cert) {
    // crypto.X509Certificate: subject is "CN=n1\nO=x" text.
    cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    san = cert.subjectAltName;
  } else {
    const subjectCn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.[
      'CN'
    ];
    cn = Array.isArray(subjectCn) ? subjectCn[0] : subjectCn;
    san = cert.subjectaltname;
  }
  if (cn !== undefined && cn !== '') names.push(cn);
  for (const part of (san ?? '').split(', ')) {
    const m = /^(?:DNS|IP Address):(.+)$/.exec(part.trim());
    if (m && !names.includes(m[1] as string)) names.push(m[1] as string);
  }
  return names;
}

/** Null when the certificate names `nodeId`; otherwise what is wrong, for a log line. */
export function identityProblem(names: string[], nodeId: string, whose: string): string | null {
  if (names.includes(nodeId)) return null;
  return (
    `${whose} certificate names ${names.map((n) => JSON.stringify(n)).join(', ') || 'nothing'}, ` +
    `not node ${JSON.stringify(nodeId)}; every node's certificate must carry its node id as CN (or a DNS subjectAltName)`
  );
}
