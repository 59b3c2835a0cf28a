// The client side of RESP output: a command as a multibulk array of bulk
// strings, in a single allocation.

export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const bytes = args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a));
  let size = `*${bytes.length}\r\n`.length;
  for (const b of bytes) size += `$${b.length}\r\n`.length + b.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`*${bytes.length}\r\n`, 0, 'latin1');
  for (const b of bytes) {
    at += out.write(`$${b.length}\r\n`, at, 'latin1');
    out.set(b, at);
    at += b.length;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out;
}
