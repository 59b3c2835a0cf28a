// A key in a URL path: percent-escapes are bytes (%FF is the byte 0xff, so
// any binary key can be named), other characters stand for their UTF-8.

/** The bytes `text` names, or null when an escape is malformed (`%4`, `%zz`). */
export function percentDecode(text: string): Buffer | null {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    const next = text.indexOf('%', i);
    if (next < 0) {
      parts.push(Buffer.from(text.slice(i), 'utf8'));
      break;
    }
    if (next > i) parts.push(Buffer.from(text.slice(i, next), 'utf8'));
    const hex = text.slice(next + 1, next + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
    parts.push(Buffer.from([parseInt(hex, 16)]));
    i = next + 3;
  }
  return Buffer.concat(parts);
}
