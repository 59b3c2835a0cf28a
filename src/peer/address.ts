// Peer addresses as people write them: "host:port", "[v6]:port".

export interface PeerAddress {
  host: string;
  port: number;
}

/** Parses `text`, or throws a RangeError that names the bad address. */
export function parsePeerAddress(text: string, whose: string): PeerAddress {
  const bad = (why: string): never => {
    throw new RangeError(
      `bad address ${JSON.stringify(text)} for ${whose}: ${why} (expected host:port)`,
    );
  };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return bad('cannot split it into host and port');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad('port must be 1-65535');
  return { host: (m[1] ?? m[2]) as string, port };
}

export function formatPeerAddress(a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
