// GET / PUT / DELETE /v1/kv/<key>: the key/value API for curl. Each request
// runs the very command a RESP client would send (GET, SET, DEL) through the
// command table and dispatch, so limits, permissions (the Basic-auth user's
// access), replication, linearizable reads and error wording are those of the
// client port; only the reply is translated.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ReplyParser } from '../../resp/reply-parser.js';
import type { RespValue } from '../../resp/types.js';
import { newClientState, type NodeState } from '../command-context.js';
import { isInternalFailure } from '../command-error.js';
import { grant, OPEN_ACCESS } from '../auth/access.js';
import { dispatch, lookupCommand } from '../dispatch.js';
import type { Principal } from '../auth/authenticator.js';
import { HttpError, sendJson } from './http-reply.js';
import { percentDecode } from './percent-decode.js';
import { readBody } from './request-body.js';

export const KV_PREFIX = '/v1/kv/';

/** Client ids of HTTP requests, apart from those of RESP connections (CLIENT ID) in the logs. */
let nextRequestId = 1;

export async function kvRoute(
  node: NodeState,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  principal: Principal | null,
): Promise<void> {
  const key = percentDecode(url.pathname.slice(KV_PREFIX.length));
  if (key === null || key.length === 0) {
    throw new HttpError(
      400,
      'name a key after /v1/kv/, percent-encoded where it is not plain text (e.g. /v1/kv/user%3A1)',
    );
  }
  const stale = url.searchParams.get('stale');
  if (stale !== null && stale !== '0' && stale !== '1') {
    throw new HttpError(400, `stale must be 1 (read this node's copy) or 0, got "${stale}"`);
  }
  const client = newClientState(
    nextRequestId++,
    `http:${req.socket.remoteAddress}:${req.socket.remotePort}`,
    principal === null ? OPEN_ACCESS : grant(principal),
    stale === '1',
  );
  const run = async (...args: Buffer[]): Promise<RespValue> => {
    const spec = lookupCommand(node.commands, args);
    const started = performance.now();
    const reply = await dispatch({ client, node }, args, spec, log);
    // Counted in the node's metrics like the same command on the client port.
    node.metrics.commandDone(spec, started, reply);
    const parser = new ReplyParser();
    parser.push(reply);
    const value = parser.next();
    if (value === null) throw new Error('incomplete reply from a command');
    if (value.type === 'error') throw replyError(value.value);
    return value;
  };

  switch (req.method) {
    case 'GET': {
      const v = await run(Buffer.from('GET'), key);
      if (v.type !== 'bulk' || v.value === null) throw new HttpError(404, 'no such key');
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': v.value.length,
        'Cache-Control': 'no-store',
      });
      res.end(v.value);
      return;
    }
    case 'PUT': {
      const value = await readBody(req, node.limits.maxValueSize);
      await run(Buffer.from('SET'), key, value);
      res.writeHead(204).end();
      return;
    }
    case 'DELETE': {
      const v = await run(Buffer.from('DEL'), key);
      if (v.type === 'integer' && Number(v.value) === 0) throw new HttpError(404, 'no such key');
      res.writeHead(204).end();
      return;
    }
    default:
      sendJson(
        res,
        405,
        { error: 'use GET, PUT or DELETE on /v1/kv/<key>' },
        {
          Allow: 'GET, PUT, DELETE',
        },
      );
  }
}

/** A command's error reply as an HTTP error: its code word picks the status. */
function replyError(text: string): HttpError {
  const code = /^\S+/.exec(text)?.[0] ?? 'ERR';
  const sentence = text.slice(code.length).trim();
  if (code === 'TRYAGAIN' || code === 'CLUSTERDOWN') {
    return new HttpError(503, sentence, { 'Retry-After': '1' });
  }
  if (code === 'NOAUTH' || code === 'NOPERM') return new HttpError(403, sentence);
  if (isInternalFailure(text)) return new HttpError(500, sentence);
  return new HttpError(400, sentence);
}
