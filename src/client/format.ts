// How the shell shows a reply, after redis-cli: `(integer) 3`, `(nil)`,
// numbered arrays, `(error) ERR ...`. Unlike redis-cli, a bulk string that is
// readable text is shown as text, and one that is a JSON document is
// pretty-printed; only binary data is shown quoted with \xHH escapes.

import type { RespValue } from '../resp/types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The reply as lines of text (no trailing newline). */
export function formatReply(v: RespValue): string {
  return format(v, '');
}

/** A bulk string's bytes exactly as stored, for `--raw` output. */
export function rawReply(v: RespValue): Buffer {
  switch (v.type) {
    case 'bulk':
      return v.value === null ? Buffer.alloc(0) : Buffer.from(v.value);
    case 'array':
    case 'set':
    case 'push': {
      const items = v.value ?? [];
      const parts: Buffer[] = [];
      items.forEach((e, i) => {
        if (i > 0) parts.push(Buffer.from('\n'));
        parts.push(rawReply(e));
      });
      return Buffer.concat(parts);
    }
    default:
      return Buffer.from(formatReply(v), 'utf8');
  }
}

function format(v: RespValue, indent: string): string {
  switch (v.type) {
    case 'simple':
      return v.value;
    case 'error':
      return `(error) ${v.value}`;
    case 'integer':
      return `(integer) ${v.value}`;
    case 'double':
      return `(double) ${v.value}`;
    case 'boolean':
      return v.value ? '(true)' : '(false)';
    case 'null':
      return '(nil)';
    case 'verbatim':
      return indentLines(v.value, indent);
    case 'bulk':
      return v.value === null ? '(nil)' : indentLines(formatBytes(v.value), indent);
    case 'array':
      if (v.value === null) return '(nil)';
      return formatList(v.value, indent, '(empty array)');
    case 'set':
      return formatList(v.value, indent, '(empty set)');
    case 'push':
      return formatList(v.value, indent, '(empty push)');
    case 'map':
      return formatMap(v.value, indent);
  }
}

function formatList(items: RespValue[], indent: string, empty: string): string {
  if (items.length === 0) return empty;
  const width = String(items.length).length;
  return items
    .map((item, i) => {
      const label = `${String(i + 1).padStart(width)}) `;
      const body = format(item, indent + ' '.repeat(label.length));
      return (i === 0 ? '' : indent) + label + body;
    })
    .join('\n');
}

function formatMap(pairs: Array<[RespValue, RespValue]>, indent: string): string {
  if (pairs.length === 0) return '(empty hash)';
  const width = String(pairs.length).length;
  return pairs
    .map(([k, val], i) => {
      const label = `${String(i + 1).padStart(width)}# `;
      const key = format(k, indent + ' '.repeat(label.length));
      const body = format(val, indent + ' '.repeat(label.length + 4));
      return `${i === 0 ? '' : indent}${label}${key} => ${body}`;
    })
    .join('\n');
}

function indentLines(text: string, indent: string): string {
  return indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}

/** Text as text, JSON pretty-printed, anything else quoted with escapes. */
export function formatBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return '""';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return quote(bytes);
  }
  // Control characters other than tab and newline would garble the terminal.
  if (hasControlBytes(bytes)) return quote(bytes);
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON after all: show it as the text it is.
    }
  }
  return text;
}

function hasControlBytes(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f) return true;
  }
  return false;
}

const NAMED_ESCAPES: Record<number, string> = {
  0x5c: '\\\\',
  0x22: '\\"',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x07: '\\a',
  0x08: '\\b',
};

/**
 * Bytes in double quotes with redis-cli's escapes, so the shell can read
 * them back: printable ASCII as is, anything else \xHH.
 */
export function quote(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    const named = NAMED_ESCAPES[b];
    if (named !== undefined) out += named;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}
