// OpenSSL's reasons turned into sentences that say which side rejected
// what. Two kinds reach us: a certificate this side could not verify (a
// verification code such as CERT_HAS_EXPIRED) and an alert the other side
// sent because it rejected ours (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ...).

/** Why a certificate did not verify, from OpenSSL's verification code; null for a code we do not know. */
export function verifyCodeReason(code: string): string | null {
  switch (code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return `it is not signed by the trusted CA (${code})`;
    case 'CERT_HAS_EXPIRED':
      return `it has expired (${code})`;
    case 'CERT_NOT_YET_VALID':
      return `it is not valid yet; check both machines' clocks (${code})`;
    case 'CERT_REVOKED':
      return `it was revoked (${code})`;
    case 'INVALID_PURPOSE':
    case 'CERT_REJECTED':
      return `it may not be used for this purpose; check its extendedKeyUsage (${code})`;
    default:
      return null;
  }
}

function codeOf(err: unknown): string {
  return ((err as NodeJS.ErrnoException | null)?.code ?? '').toString();
}

/** The other side rejected our certificate (or our lack of one): why, or null. */
function alertReason(code: string): string | null {
  if (
    code.endsWith('ALERT_CERTIFICATE_REQUIRED') ||
    code.endsWith('PEER_DID_NOT_RETURN_A_CERTIFICATE')
  )
    return 'it requires a certificate and none was presented';
  if (code.endsWith('ALERT_UNKNOWN_CA'))
    return 'it rejected the certificate presented: not signed by a CA it trusts';
  if (code.endsWith('ALERT_CERTIFICATE_EXPIRED'))
    return 'it rejected the certificate presented: it has expired';
  if (code.endsWith('ALERT_BAD_CERTIFICATE') || code.endsWith('ALERT_CERTIFICATE_UNKNOWN'))
    return 'it rejected the certificate presented';
  if (code.endsWith('ALERT_HANDSHAKE_FAILURE') || code.endsWith('ALERT_PROTOCOL_VERSION'))
    return 'it could not agree on TLS parameters (TLS version or ciphers)';
  return null;
}

/** The other side does not speak TLS (answered plain bytes to our handshake). */
function notTls(code: string): boolean {
  return (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    code === 'ERR_SSL_HTTP_REQUEST' ||
    code === 'ERR_SSL_RECORD_LAYER_FAILURE'
  );
}

/**
 * A client's TLS failure as a sentence for the person running the client;
 * null when `err` is not a TLS problem (keep the original message then).
 */
export function clientTlsErrorMessage(
  err: unknown,
  ctx: { address: string; host: string; caGiven: boolean; caPath?: string | undefined },
): string | null {
  const code = codeOf(err);
  const ca = ctx.caPath !== undefined ? ` (--tls-ca ${ctx.caPath})` : ' (tls.ca / --tls-ca)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return (
      `the server's certificate is not for "${ctx.host}": ${(err as Error).message}; ` +
      'connect with a name the certificate carries, or give that name with --tls-servername'
    );
  }
  const verify = verifyCodeReason(code);
  if (verify !== null) {
    if (verify.startsWith('it is not signed')) {
      // Without a CA the system's were used: a cluster's own CA is not among them.
      if (!ctx.caGiven) {
        return `the server's certificate is not signed by a CA this machine trusts (${code}); give the CA that signed it with --tls-ca (env DISTDB_TLS_CA) or tls.ca`;
      }
      return `the server's certificate is not signed by the CA you gave${ca} (${code})`;
    }
    return `this client rejected the server's certificate: ${verify}`;
  }
  if (notTls(code)) {
    return `${ctx.address} does not answer with TLS (${code}); is TLS configured on that node (--tls-cert)? If not, connect without --tls`;
  }
  const alert = alertReason(code);
  if (alert !== null) {
    const hint = alert.includes('none was presented')
      ? '; give a client certificate with --tls-cert and --tls-key'
      : '';
    return `the server at ${ctx.address} ended the TLS handshake: ${alert} (${code})${hint}`;
  }
  return null;
}

/** A peer dial's TLS failure, phrased from the dialling node's side; null when not a TLS problem. */
export function peerTlsErrorMessage(err: unknown): string | null {
  const code = codeOf(err);
  const verify = verifyCodeReason(code);
  if (verify !== null) return `this node rejected the peer's certificate: ${verify}`;
  if (notTls(code)) {
    return `it does not speak TLS (${code}); is it started without --tls-cert/--tls-key/--tls-ca? Give every node the same TLS settings`;
  }
  const alert = alertReason(code);
  if (alert !== null) return `the peer ended the TLS handshake: ${alert} (${code})`;
  return null;
}
