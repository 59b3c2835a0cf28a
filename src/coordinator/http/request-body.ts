// Reads a request body whole, refusing one larger than the limit as soon as
// its Content-Length (or the bytes received) says so, without buffering it.

import type { IncomingMessage } from 'node:http';
import { settingName } from '../limits.js';
import { HttpError } from './http-reply.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (n: number): HttpError =>
    new HttpError(
      413,
      `the body is ${n} bytes, larger than the ${maxBytes}-byte value limit; send a smaller value or raise ${settingName('maxValueSize')}`,
      // The rest of the body is not read, so this connection cannot carry another request.
      { Connection: 'close' },
    );
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(size);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}
